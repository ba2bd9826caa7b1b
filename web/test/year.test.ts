import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildLibrary } from "../src/data/library";
import { yearReview } from "../src/data/year";
import { book, BOOKS, dashboard } from "./fixtures";

describe("a year in review", () => {
  const library = buildLibrary(dashboard());

  test("counts the books read that year as the dashboard's books per year does", () => {
    for (const point of library.dashboard.books_per_year) {
      const review = yearReview(library, point.year);
      assert.equal(review.books, point.books);
      assert.equal(review.pages, point.pages);
    }
  });

  test("names the shortest and longest, the highest and lowest rated, in date order", () => {
    const review = yearReview(library, 2022);
    assert.deepEqual(review.read.map((b) => b.book_id), ["gr3", "gr5"]);
    assert.equal(review.shortest?.book_id, "gr3");
    assert.equal(review.longest?.book_id, "gr5");
    assert.deepEqual(review.highestRated.map((b) => b.book_id), ["gr3"]);
    assert.deepEqual(review.lowestRated.map((b) => b.book_id), ["gr5"]);
    assert.equal(review.averageRating, 2.5);
  });

  test("compares with the year before, which may have no reads", () => {
    assert.deepEqual(yearReview(library, 2022).previous, { year: 2021, books: 2, pages: 733 });
    assert.deepEqual(yearReview(library, 2021).previous, { year: 2020, books: 0, pages: 0 });
  });

  test("ranks genres and authors, each book counted once per genre", () => {
    const review = yearReview(library, 2021);
    assert.deepEqual(review.topGenres, [{ name: "Fantasy", books: 2 }, { name: "Adventure", books: 1 }]);
    assert.deepEqual(review.topAuthors, [{ name: "J.R.R. Tolkien", books: 2 }]);
    assert.equal(review.rereads, 1);
  });

  test("counts authors new to the reader that year", () => {
    const extra = [...BOOKS, book("gr9", { author: "J.R.R. Tolkien", date_read: "2022-05-05" })];
    const review = yearReview(buildLibrary(dashboard(extra)), 2022);
    assert.equal(review.newAuthors, 2); // Harari and Homer; Tolkien was read in 2021
  });

  test("a year whose books all share one rating lists no lowest rated", () => {
    assert.deepEqual(yearReview(library, 2023).lowestRated, []);
  });

  test("the year's chart points open exactly their books", () => {
    const review = yearReview(library, 2021);
    const months = review.charts[0]!;
    assert.equal(months.points.length, 12);
    assert.equal(months.points[2]!.value, 2);
  });
});
