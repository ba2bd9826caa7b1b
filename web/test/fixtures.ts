// A small library written out by hand, with the aggregate fields an aggregator would compute
// for it (services/aggregator/README.md), so that the tests can check the app's own
// derivations against them.
import type { DashboardBook } from "../src/data/dashboard.v1";
import { type FullDashboard, normaliseDashboard } from "../src/data/load";

export function book(id: string, fields: Partial<DashboardBook> = {}): DashboardBook {
  return {
    book_id: id,
    goodreads_id: id.replace(/^gr/, ""),
    goodreads_url: `https://www.goodreads.com/book/show/${id.replace(/^gr/, "")}`,
    title: `Title ${id}`,
    author: "Some Author",
    additional_authors: [],
    isbn13: null,
    exclusive_shelf: "read",
    bookshelves: [],
    date_read: null,
    date_added: null,
    my_rating: null,
    average_rating: null,
    pages: null,
    pages_source: null,
    original_publication_year: null,
    read_count: 1,
    reread: false,
    genres: [],
    fiction: null,
    raw_subjects: [],
    cover_url: null,
    has_review: false,
    spoiler: false,
    review_text: null,
    enrichment: "enriched",
    enrichment_reason: null,
    ...fields,
  };
}

export const BOOKS: DashboardBook[] = [
  book("gr1", { title: "The Hobbit", author: "J.R.R. Tolkien", date_read: "2021-03-05", date_added: "2020-12-01", my_rating: 5, average_rating: 4.28, pages: 310, original_publication_year: 1937, genres: ["Fantasy"], fiction: "fiction", bookshelves: ["fantasy", "favorites"], read_count: 2, reread: true, cover_url: "https://covers.openlibrary.org/b/id/1-M.jpg" }),
  book("gr2", { title: "The Fellowship of the Ring (The Lord of the Rings, #1)", author: "j.r.r. tolkien", date_read: "2021-03-20", my_rating: 4, average_rating: 4.38, pages: 423, original_publication_year: 1954, genres: ["Fantasy", "Adventure"], fiction: "fiction", bookshelves: ["Fantasy"] }),
  book("gr3", { title: "Sapiens", author: "Yuval Noah Harari", date_read: "2022-01-10", my_rating: 3, average_rating: 4.39, pages: 443, original_publication_year: 2011, genres: ["History"], fiction: "nonfiction", enrichment: "enriched" }),
  book("gr4", { title: "Dune", author: "Frank Herbert", my_rating: null, average_rating: 4.25, pages: 612, original_publication_year: 1965, enrichment: "not_found", enrichment_reason: "no source knew the book" }),
  book("gr5", { title: "Ὀδύσσεια", author: "Ὅμηρος", date_read: "2022-01-25", my_rating: 2, average_rating: 3.8, pages: 541, original_publication_year: -800, genres: ["Poetry", "Classics"], fiction: "fiction" }),
  book("gr6", { title: "Educated", author: "Tara Westover", date_read: "2023-07-04", my_rating: 4, average_rating: 4.47, pages: 99, enrichment: "failed", enrichment_reason: "Open Library kept failing (HTTP 503)" }),
  book("gr7", { title: "Pride and Prejudice", author: "Jane Austen", exclusive_shelf: "to-read", bookshelves: ["to-read", "classics"], read_count: 0, date_added: "2019-05-01", pages: 279, genres: ["Romance", "Classics"], fiction: "fiction" }),
  book("gr8", { title: "Infinite Jest", author: "David Foster Wallace", exclusive_shelf: "dnf", read_count: 0, pages: 1079, enrichment: "missing", enrichment_reason: "no result arrived by the job's deadline" }),
];

/** The dashboard an aggregator writes for BOOKS (figures worked out by hand). */
export function dashboard(books: DashboardBook[] = BOOKS, extra: Record<string, unknown> = {}): FullDashboard {
  return normaliseDashboard({
    type: "dashboard.v1",
    job_id: "3f0c9a52-7d1e-4b8a-9c4f-2e6d5b1a0c77",
    generated_at: "2024-05-01T12:02:00.000000Z",
    status: "PARTIAL",
    counts: { total: 8, enriched: 5, not_enriched: 3, missing: 1, rejected: 1 },
    missing_book_ids: ["gr8"],
    summary: {
      books_read: 6, pages_read: 2428, average_rating: 3.6, rated_count: 5, unique_authors: 5,
      first_read_date: "2021-03-05", last_read_date: "2023-07-04", reading_years: [2021, 2022, 2023],
      enrichment_coverage: 0.625, undated_read_books: 1, reread_books: 1, total_reads: 7,
    },
    books_per_year: [
      { year: 2021, books: 2, pages: 733 },
      { year: 2022, books: 2, pages: 984 },
      { year: 2023, books: 1, pages: 99 },
    ],
    books_per_month: [
      { month: "2021-03", books: 2, pages: 733 },
      { month: "2022-01", books: 2, pages: 984 },
      { month: "2023-07", books: 1, pages: 99 },
    ],
    ratings: [
      { rating: 1, books: 0 }, { rating: 2, books: 1 }, { rating: 3, books: 1 },
      { rating: 4, books: 2 }, { rating: 5, books: 1 }, { rating: null, books: 1 },
    ],
    top_authors: [
      { author: "J.R.R. Tolkien", books: 2, pages: 733, average_rating: 4.5 },
      { author: "Frank Herbert", books: 1, pages: 612, average_rating: null },
      { author: "Ὅμηρος", books: 1, pages: 541, average_rating: 2.0 },
      { author: "Yuval Noah Harari", books: 1, pages: 443, average_rating: 3.0 },
      { author: "Tara Westover", books: 1, pages: 99, average_rating: 4.0 },
    ],
    genres: [
      { genre: "Fantasy", books: 2 }, { genre: "Adventure", books: 1 }, { genre: "Classics", books: 1 },
      { genre: "History", books: 1 }, { genre: "Poetry", books: 1 },
    ],
    fiction_split: { fiction: 3, nonfiction: 1, unknown: 2 },
    page_buckets: [
      { label: "1-99", books: 1 }, { label: "100-199", books: 0 }, { label: "200-299", books: 0 },
      { label: "300-399", books: 1 }, { label: "400-499", books: 2 }, { label: "500-699", books: 2 },
      { label: "700+", books: 0 }, { label: "unknown", books: 0 },
    ],
    publication_decades: [
      { label: "800s BCE", books: 1 }, { label: "1930s", books: 1 }, { label: "1950s", books: 1 },
      { label: "1960s", books: 1 }, { label: "2010s", books: 1 }, { label: "unknown", books: 1 },
    ],
    shelves: [
      { shelf: "read", exclusive: true, books: 6 }, { shelf: "currently-reading", exclusive: true, books: 0 },
      { shelf: "to-read", exclusive: true, books: 1 }, { shelf: "dnf", exclusive: true, books: 1 },
      { shelf: "fantasy", exclusive: false, books: 2 }, { shelf: "classics", exclusive: false, books: 1 },
      { shelf: "favorites", exclusive: false, books: 1 },
    ],
    longest_book: { book_id: "gr4", title: "Dune", author: "Frank Herbert", pages: 612 },
    shortest_book: { book_id: "gr6", title: "Educated", author: "Tara Westover", pages: 99 },
    // gr1 5 vs 4.28 higher; gr2 4 vs 4.38 same; gr3 3 vs 4.39 lower; gr5 2 vs 3.8 lower; gr6 4 vs 4.47 same
    rating_vs_community: { books: 5, your_average: 3.6, community_average: 4.26, higher: 1, lower: 2, same: 2 },
    books,
    rejected_rows: [{ row_number: 9, reason: "no title" }],
    warnings_count: 2,
    series: [
      {
        name: "The Lord of the Rings",
        books: [{ book_id: "gr2", number: "1", read: true }],
        read: ["1"],
        skipped: [],
        status: "finished",
      },
    ],
    to_read: {
      books: 1, pages: 279, unknown_pages: 0, as_of: "2023-07-04", median_age_days: 1525,
      oldest: { book_id: "gr7", title: "Pride and Prejudice", author: "Jane Austen", date_added: "2019-05-01" },
      added_per_year: [{ year: 2019, books: 1 }],
      age_buckets: [
        { label: "under 1 month", books: 0 }, { label: "1-6 months", books: 0 }, { label: "6-12 months", books: 0 },
        { label: "1-2 years", books: 0 }, { label: "2-5 years", books: 1 }, { label: "5+ years", books: 0 },
        { label: "unknown", books: 0 },
      ],
      top_genres: [{ genre: "Classics", books: 1 }, { genre: "Romance", books: 1 }],
    },
    ...extra,
  });
}
