import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ageBucket,
  applyFilter,
  decadeLabel,
  inPageBucket,
  parseQuery,
  queryToParams,
  sortBooks,
} from "../src/data/filters";
import { buildLibrary } from "../src/data/library";
import { book, BOOKS, dashboard } from "./fixtures";

const library = buildLibrary(dashboard());
const ids = (filter: Record<string, string>) => applyFilter(library, filter).map((b) => b.book_id);

describe("the books list's filters", () => {
  test("an exclusive shelf matches the books on it, and a tag shelf the books tagged with it", () => {
    assert.deepEqual(ids({ shelf: "read" }), ["gr1", "gr2", "gr3", "gr4", "gr5", "gr6"]);
    assert.deepEqual(ids({ shelf: "to-read" }), ["gr7"]);
    // "Fantasy" in gr2's Bookshelves is the tag "fantasy", as the aggregator lower-cases it.
    assert.deepEqual(ids({ shelf: "fantasy" }), ["gr1", "gr2"]);
    assert.deepEqual(ids({ shelf: "classics" }), ["gr7"]);
  });

  test("year, month and rating read from the export's dates and ratings", () => {
    assert.deepEqual(ids({ shelf: "read", year: "2022" }), ["gr3", "gr5"]);
    assert.deepEqual(ids({ shelf: "read", year: "undated" }), ["gr4"]);
    assert.deepEqual(ids({ shelf: "read", month: "2021-03" }), ["gr1", "gr2"]);
    assert.deepEqual(ids({ shelf: "read", rating: "4" }), ["gr2", "gr6"]);
    assert.deepEqual(ids({ shelf: "read", rating: "unrated" }), ["gr4"]);
  });

  test("authors compare as the aggregator's do: ignoring case, whatever the spelling shown", () => {
    assert.deepEqual(ids({ shelf: "read", author: "J.R.R. Tolkien" }), ["gr1", "gr2"]);
    assert.deepEqual(ids({ author: "ὅμηρος" }), ["gr5"]);
  });

  test("page buckets, decades (BCE too), fiction and the community comparison", () => {
    assert.deepEqual(ids({ shelf: "read", pages: "400-499" }), ["gr2", "gr3"]);
    assert.deepEqual(ids({ shelf: "read", pages: "1-99" }), ["gr6"]);
    assert.deepEqual(ids({ pages: "700+" }), ["gr8"]);
    assert.deepEqual(ids({ shelf: "read", decade: "800s BCE" }), ["gr5"]);
    assert.deepEqual(ids({ shelf: "read", decade: "unknown" }), ["gr6"]);
    assert.deepEqual(ids({ shelf: "read", fiction: "unknown" }), ["gr4", "gr6"]);
    assert.deepEqual(ids({ shelf: "read", cmp: "lower" }), ["gr3", "gr5"]);
    assert.deepEqual(ids({ shelf: "read", cmp: "same" }), ["gr2", "gr6"]);
  });

  test("series, the pile's added year and age, re-reads, enrichment status", () => {
    assert.deepEqual(ids({ series: "the lord of the rings" }), ["gr2"]);
    assert.deepEqual(ids({ shelf: "to-read", added: "2019" }), ["gr7"]);
    assert.deepEqual(ids({ shelf: "to-read", age: "2-5 years" }), ["gr7"]);
    assert.deepEqual(ids({ shelf: "read", reread: "yes" }), ["gr1"]);
    assert.deepEqual(ids({ status: "missing" }), ["gr8"]);
  });

  test("search ignores case and accents and needs every word", () => {
    assert.deepEqual(ids({ q: "odysseia" }), []);
    assert.deepEqual(ids({ q: "ὀδύσσεια" }), ["gr5"]);
    assert.deepEqual(ids({ q: "οδυσσεια" }), ["gr5"]);
    assert.deepEqual(ids({ q: "tolkien ring" }), ["gr2"]);
    assert.deepEqual(ids({ q: "  HOBBIT " }), ["gr1"]);
  });

  test("filters combine: every one must hold", () => {
    assert.deepEqual(ids({ shelf: "read", genre: "Fantasy", year: "2021", rating: "5" }), ["gr1"]);
  });
});

describe("bucket definitions shared with the aggregator", () => {
  test("decade labels count BCE years back from 0", () => {
    assert.equal(decadeLabel(1937), "1930s");
    assert.equal(decadeLabel(0), "0s");
    assert.equal(decadeLabel(-800), "800s BCE");
    assert.equal(decadeLabel(-809), "800s BCE");
  });

  test("page buckets are inclusive ranges, an open top, and unknown", () => {
    assert.equal(inPageBucket(100, "100-199"), true);
    assert.equal(inPageBucket(199, "100-199"), true);
    assert.equal(inPageBucket(200, "100-199"), false);
    assert.equal(inPageBucket(5000, "700+"), true);
    assert.equal(inPageBucket(null, "unknown"), true);
    assert.equal(inPageBucket(null, "1-99"), false);
  });

  test("to-read ages are bucketed by days to the export's date", () => {
    assert.equal(ageBucket("2024-01-01", "2024-01-31"), "under 1 month");
    assert.equal(ageBucket("2024-01-01", "2024-02-01"), "1-6 months");
    assert.equal(ageBucket("2019-01-01", "2024-06-01"), "5+ years");
    assert.equal(ageBucket(null, "2024-06-01"), "unknown");
    assert.equal(ageBucket("2024-01-01", null), "unknown");
  });
});

describe("the query in the URL", () => {
  test("round-trips through the URL, unknown keys and empty values dropped", () => {
    const query = parseQuery(new URLSearchParams("genre=Science+Fiction&rating=5&sort=pages&dir=desc&evil=1&q="));
    assert.deepEqual(query, { filter: { genre: "Science Fiction", rating: "5" }, sort: "pages", dir: "desc" });
    assert.deepEqual(parseQuery(queryToParams(query)), query);
  });

  test("an unknown sort falls back to export order", () => {
    assert.deepEqual(parseQuery(new URLSearchParams("sort=__proto__")).sort, "export");
  });
});

describe("sorting", () => {
  test("books without the value come last both ways, ties keep export order", () => {
    const ascending = sortBooks(library, library.books, "rating", "asc").map((b) => b.book_id);
    assert.deepEqual(ascending, ["gr5", "gr3", "gr2", "gr6", "gr1", "gr4", "gr7", "gr8"]);
    const descending = sortBooks(library, library.books, "rating", "desc").map((b) => b.book_id);
    assert.deepEqual(descending, ["gr1", "gr2", "gr6", "gr3", "gr5", "gr4", "gr7", "gr8"]);
  });

  test("titles sort ignoring case and accents", () => {
    const small = buildLibrary(dashboard([book("a", { title: "émile" }), book("b", { title: "Zed" }), book("c", { title: "apple" })]));
    assert.deepEqual(sortBooks(small, small.books, "title", "asc").map((b) => b.title), ["apple", "émile", "Zed"]);
  });

  test("the fixture's books are the ones the dashboard lists", () => {
    assert.equal(library.books.length, BOOKS.length);
  });
});
