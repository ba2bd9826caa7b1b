import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { href, parseHash, type Source, type View } from "../src/router";

const views: View[] = [
  { name: "overview" },
  { name: "year", year: 2024 },
  { name: "year", year: null },
  { name: "books", query: { filter: { genre: "Science Fiction", q: "a&b=c#d" }, sort: "pages", dir: "desc" } },
  { name: "books", query: { filter: {}, sort: "export", dir: "asc" } },
  { name: "book", bookId: "gr123" },
  { name: "book", bookId: "row7" },
  { name: "genres" },
  { name: "series" },
  { name: "to-read" },
  { name: "quality" },
];
const JOB = "4fda8e83-8370-41d4-aba2-b408c6a424dd";

describe("hash routes", () => {
  for (const source of [{ kind: "inline" }, { kind: "sample" }, { kind: "job", jobId: JOB }] as Source[]) {
    test(`every view of a ${source.kind} dashboard has a URL that leads back to it`, () => {
      for (const view of views) {
        const route = parseHash(href(source, view), source.kind === "inline");
        assert.deepEqual(route, { page: "dashboard", source, view });
      }
    });
  }

  test("the served app's start is the home page; a standalone page's is its overview", () => {
    assert.deepEqual(parseHash("", false), { page: "home" });
    assert.deepEqual(parseHash("#/", false), { page: "home" });
    assert.deepEqual(parseHash("", true), { page: "dashboard", source: { kind: "inline" }, view: { name: "overview" } });
  });

  test("anything else is not found, never a guess", () => {
    for (const hash of ["#/nope", "#/year/abc", "#/book", "#/books/extra", "#/jobs/not-a-uuid", `#/jobs/${JOB.toUpperCase()}`, "#/%E0%A4%A"]) {
      assert.equal(parseHash(hash, false).page, "not-found", hash);
    }
    assert.equal(parseHash("#/sample", true).page, "not-found");
  });
});
