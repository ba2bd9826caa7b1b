import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkFileShape, checkHeader, firstRecord, MAX_UPLOAD_BYTES } from "../src/data/upload";

const HEADER_24 =
  "Book Id,Title,Author,Author l-f,Additional Authors,ISBN,ISBN13,My Rating,Average Rating,Publisher,Binding," +
  "Number of Pages,Year Published,Original Publication Year,Date Read,Date Added,Bookshelves," +
  "Bookshelves with positions,Exclusive Shelf,My Review,Spoiler,Private Notes,Read Count,Owned Copies\n";

describe("checking a file before any request", () => {
  test("a Goodreads export passes, with a BOM, CRLF, quoted names or extra columns", () => {
    assert.deepEqual(checkHeader(HEADER_24 + "1,Dune,Frank Herbert"), { ok: true });
    assert.deepEqual(checkHeader("\uFEFF" + HEADER_24.replace("\n", "\r\n")), { ok: true });
    assert.deepEqual(checkHeader('"Book Id","Title","Author","Exclusive Shelf",genres\n'), { ok: true });
    assert.deepEqual(checkHeader(" Book Id , Title,Author,Exclusive Shelf"), { ok: true });
  });

  test("a header without the required columns names the missing ones", () => {
    const check = checkHeader("Book Id,Title,Writer,Shelf\n1,Dune,Frank Herbert,read\n");
    assert.equal(check.ok, false);
    assert.match(!check.ok ? check.reason : "", /missing required columns: Author, Exclusive Shelf\./);
  });

  test("semicolons, tabs and text without commas are told apart", () => {
    const reason = (text: string) => {
      const check = checkHeader(text);
      return check.ok ? "" : check.reason;
    };
    assert.match(reason("Book Id;Title;Author;Exclusive Shelf"), /with semicolons, not commas/);
    assert.match(reason("Book Id\tTitle\tAuthor"), /with tabs, not commas/);
    assert.match(reason("%PDF-1.7 binary"), /its first line has no commas/);
  });

  test("the first record is read as CSV: quotes, doubled quotes and a newline inside quotes", () => {
    assert.deepEqual(firstRecord('a,"b, c","d ""e""","f\ng"\nnext'), ["a", "b, c", 'd "e"', "f\ng"]);
  });

  test("only .csv files of 1 byte up to the API's limit are taken", () => {
    assert.deepEqual(checkFileShape("goodreads_library_export.csv", 1000), { ok: true });
    assert.deepEqual(checkFileShape("EXPORT.CSV", MAX_UPLOAD_BYTES), { ok: true });
    assert.match(JSON.stringify(checkFileShape("library.xlsx", 1000)), /is not a CSV file/);
    assert.match(JSON.stringify(checkFileShape("empty.csv", 0)), /The file is empty/);
    assert.match(JSON.stringify(checkFileShape("big.csv", MAX_UPLOAD_BYTES + 1)), /the largest export this service takes is 50 MB/);
  });
});
