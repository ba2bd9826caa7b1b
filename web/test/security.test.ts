// The app never turns data into markup or code: no API that parses HTML or evaluates strings
// appears in its sources, whatever the data.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { coverUrl, goodreadsUrl } from "../src/data/links";

const SRC = fileURLToPath(new URL("../../web/src", import.meta.url));
const FORBIDDEN = [
  /\binnerHTML\b/,
  /\bouterHTML\b/,
  /insertAdjacentHTML/,
  /dangerouslySetInnerHTML/,
  /document\.write/,
  /\beval\s*\(/,
  /new\s+Function\b/,
  /createContextualFragment/,
  /\bsrcdoc\b/,
  /setTimeout\(\s*["'`]/,
];

function files(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

test("no source file uses an API that parses HTML or evaluates a string", () => {
  const sources = files(SRC).filter((path) => /\.(ts|tsx|html)$/.test(path));
  assert.ok(sources.length > 10, "the sources were found");
  for (const path of sources) {
    const text = readFileSync(path, "utf8");
    for (const pattern of FORBIDDEN) assert.doesNotMatch(text, pattern, `${path} uses ${pattern}`);
  }
});

test("the page templates have no inline event handler and no inline script but the app's", () => {
  for (const name of ["index.html", "standalone.html"]) {
    const text = readFileSync(join(SRC, name), "utf8");
    assert.doesNotMatch(text, /\son[a-z]+\s*=/i);
    assert.doesNotMatch(text, /javascript:/i);
  }
});

test("covers load from the cover hosts over https only", () => {
  assert.equal(coverUrl("https://covers.openlibrary.org/b/id/1-M.jpg"), "https://covers.openlibrary.org/b/id/1-M.jpg");
  assert.equal(coverUrl("https://books.google.com/books/content?id=x&img=1"), "https://books.google.com/books/content?id=x&img=1");
  for (const bad of ["http://covers.openlibrary.org/b/id/1-M.jpg", "javascript:alert(1)", "https://evil.example/x.jpg",
    "https://covers.openlibrary.org.evil.example/x.jpg", "https://user@covers.openlibrary.org/x.jpg",
    "https://covers.openlibrary.org:8443/x.jpg", "data:image/png;base64,AAAA", "not a url", null]) {
    assert.equal(coverUrl(bad), null, String(bad));
  }
});

test("Goodreads links are book pages only", () => {
  assert.equal(goodreadsUrl("https://www.goodreads.com/book/show/2767052"), "https://www.goodreads.com/book/show/2767052");
  for (const bad of ["https://www.goodreads.com/book/show/1?x=<script>", "javascript:alert(1)", "https://evil.example/book/show/1", null]) {
    assert.equal(goodreadsUrl(bad), null);
  }
});
