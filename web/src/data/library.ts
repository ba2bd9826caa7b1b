// The dashboard, indexed for the views: books by id, read books, facets for the filters.
import type { DashboardBook } from "./dashboard.v1";
import type { FullDashboard } from "./load";

export const READ_SHELF = "read";
export const TO_READ_SHELF = "to-read";
// Exclusive shelves readers use for books they gave up on (the export lets them name it).
export const ABANDONED_SHELVES = new Set([
  "dnf",
  "did-not-finish",
  "didnt-finish",
  "abandoned",
  "gave-up",
  "not-finished",
  "unfinished",
]);

export interface Library {
  readonly dashboard: FullDashboard;
  readonly books: readonly DashboardBook[];
  readonly byId: ReadonlyMap<string, DashboardBook>;
  readonly read: readonly DashboardBook[];
  /** Names that are some book's exclusive shelf; any other shelf name is a tag shelf. */
  readonly exclusiveShelves: ReadonlySet<string>;
  readonly facets: Facets;
  /** Row order of each book, for a stable "export order" sort. */
  readonly position: ReadonlyMap<string, number>;
}

export interface Facets {
  readonly genres: readonly string[];
  readonly shelves: readonly string[];
  readonly readingYears: readonly number[];
  readonly statuses: readonly DashboardBook["enrichment"][];
}

export const ENRICHMENT_STATUSES: readonly DashboardBook["enrichment"][] = [
  "enriched",
  "not_found",
  "failed",
  "skipped",
  "missing",
];

/** Shelf names as the aggregator compares them: white space collapsed, lower case. */
export function shelfName(name: string): string {
  return name.split(/\s+/).filter(Boolean).join(" ").toLowerCase();
}

export function readYear(book: DashboardBook): number | null {
  return book.date_read === null ? null : Number(book.date_read.slice(0, 4));
}

export function readMonth(book: DashboardBook): string | null {
  return book.date_read === null ? null : book.date_read.slice(0, 7);
}

export function isRead(book: DashboardBook): boolean {
  return book.exclusive_shelf === READ_SHELF;
}

export function buildLibrary(dashboard: FullDashboard): Library {
  const books = dashboard.books;
  const byId = new Map<string, DashboardBook>();
  const position = new Map<string, number>();
  books.forEach((book, index) => {
    byId.set(book.book_id, book);
    position.set(book.book_id, index);
  });
  const exclusiveShelves = new Set(books.map((book) => book.exclusive_shelf));
  const genreCounts = new Map<string, number>();
  for (const book of books) {
    for (const genre of new Set(book.genres)) genreCounts.set(genre, (genreCounts.get(genre) ?? 0) + 1);
  }
  const genres = [...genreCounts.keys()].sort(
    (a, b) => (genreCounts.get(b) ?? 0) - (genreCounts.get(a) ?? 0) || a.localeCompare(b),
  );
  return {
    dashboard,
    books,
    byId,
    read: books.filter(isRead),
    exclusiveShelves,
    position,
    facets: {
      genres,
      shelves: dashboard.shelves.filter((shelf) => shelf.books > 0).map((shelf) => shelf.shelf),
      readingYears: [...dashboard.summary.reading_years],
      statuses: ENRICHMENT_STATUSES.filter((status) => books.some((book) => book.enrichment === status)),
    },
  };
}

export function abandonedCount(library: Library): number {
  return library.dashboard.shelves
    .filter((shelf) => shelf.exclusive && ABANDONED_SHELVES.has(shelf.shelf))
    .reduce((sum, shelf) => sum + shelf.books, 0);
}
