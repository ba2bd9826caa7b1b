// The books list's filters: parsed from and written to the URL, applied with the same
// definitions the aggregator uses for the charts (services/aggregator/README.md), so that a
// bar of N books opens a list of exactly N books.
import type { DashboardBook } from "./dashboard.v1";
import { type Library, readMonth, readYear, shelfName } from "./library";

export const FILTER_KEYS = [
  "q",
  "shelf",
  "year",
  "month",
  "rating",
  "genre",
  "status",
  "author",
  "pages",
  "decade",
  "fiction",
  "cmp",
  "series",
  "added",
  "age",
  "reread",
] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
export type BookFilter = Partial<Record<FilterKey, string>>;

export const SORT_KEYS = [
  "export",
  "title",
  "author",
  "date_read",
  "date_added",
  "rating",
  "average",
  "pages",
  "published",
] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortDirection = "asc" | "desc";
export interface BookQuery {
  readonly filter: BookFilter;
  readonly sort: SortKey;
  readonly dir: SortDirection;
}

// Your rating is "the same" as the community's within this distance (the aggregator's).
export const SAME_RATING_TOLERANCE = 0.5;
// To-read ages, as the aggregator buckets them: label -> [from, below) days.
export const AGE_BUCKETS: ReadonlyArray<readonly [string, number, number]> = [
  ["under 1 month", 0, 31],
  ["1-6 months", 31, 183],
  ["6-12 months", 183, 366],
  ["1-2 years", 366, 731],
  ["2-5 years", 731, 1827],
  ["5+ years", 1827, Infinity],
];
export const UNKNOWN = "unknown";
export const UNDATED = "undated";
export const UNRATED = "unrated";

export function parseQuery(params: URLSearchParams): BookQuery {
  const filter: BookFilter = {};
  for (const key of FILTER_KEYS) {
    const value = params.get(key);
    if (value !== null && value !== "") filter[key] = value;
  }
  const sort = params.get("sort");
  const dir = params.get("dir");
  return {
    filter,
    sort: (SORT_KEYS as readonly string[]).includes(sort ?? "") ? (sort as SortKey) : "export",
    dir: dir === "desc" ? "desc" : "asc",
  };
}

export function queryToParams(query: Partial<BookQuery>): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = query.filter?.[key];
    if (value !== undefined && value !== "") params.set(key, value);
  }
  if (query.sort && query.sort !== "export") params.set("sort", query.sort);
  if (query.dir === "desc") params.set("dir", "desc");
  return params;
}

/** Python's str.casefold, closely enough for names: ß and ss, ς and σ compare equal. */
export function casefold(text: string): string {
  return text.toUpperCase().toLowerCase();
}

/** Text for search: case and accents ignored. */
export function searchable(text: string): string {
  return casefold(text.normalize("NFKD").replace(/\p{M}/gu, ""));
}

/** The aggregator's decade label: "1930s", BCE years counted back from 0 ("800s BCE"). */
export function decadeLabel(year: number): string {
  if (year >= 0) return `${Math.floor(year / 10) * 10}s`;
  return `${Math.floor(-year / 10) * 10}s BCE`;
}

/** Whether pages fall in a bucket labelled "300-399", "700+" or "unknown". */
export function inPageBucket(pages: number | null, label: string): boolean {
  if (label === UNKNOWN) return pages === null;
  if (pages === null) return false;
  const range = /^(\d+)-(\d+)$/.exec(label);
  if (range) return pages >= Number(range[1]) && pages <= Number(range[2]);
  const open = /^(\d+)\+$/.exec(label);
  return open !== null && pages >= Number(open[1]);
}

export function ratingComparison(book: DashboardBook): "higher" | "lower" | "same" | null {
  if (book.my_rating === null || book.average_rating === null) return null;
  const difference = book.my_rating - book.average_rating;
  if (difference > SAME_RATING_TOLERANCE) return "higher";
  if (difference < -SAME_RATING_TOLERANCE) return "lower";
  return "same";
}

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000);
}

export function ageBucket(dateAdded: string | null, asOf: string | null): string {
  if (dateAdded === null || asOf === null) return UNKNOWN;
  const age = daysBetween(dateAdded, asOf);
  return AGE_BUCKETS.find(([, from, below]) => age >= from && age < below)?.[0] ?? UNKNOWN;
}

type Predicate = (book: DashboardBook) => boolean;

function predicates(library: Library, filter: BookFilter): Predicate[] {
  const tests: Predicate[] = [];
  const { shelf, year, month, rating, genre, status, author, pages, decade, fiction, cmp } = filter;
  if (filter.q) {
    const words = searchable(filter.q).split(/\s+/).filter(Boolean);
    tests.push((book) => {
      const text = searchable(
        [book.title, book.author, ...book.additional_authors, book.isbn13 ?? ""].join(" "),
      );
      return words.every((word) => text.includes(word));
    });
  }
  if (shelf !== undefined) {
    // A name that is some book's exclusive shelf is that shelf; any other is a tag shelf.
    tests.push(
      library.exclusiveShelves.has(shelf)
        ? (book) => book.exclusive_shelf === shelf
        : (book) => book.bookshelves.some((name) => shelfName(name) === shelf),
    );
  }
  if (year !== undefined) {
    tests.push(year === UNDATED ? (book) => book.date_read === null : (book) => readYear(book) === Number(year));
  }
  if (month !== undefined) tests.push((book) => readMonth(book) === month);
  if (rating !== undefined) {
    tests.push(rating === UNRATED ? (book) => book.my_rating === null : (book) => book.my_rating === Number(rating));
  }
  if (genre !== undefined) tests.push((book) => book.genres.includes(genre));
  if (status !== undefined) tests.push((book) => book.enrichment === status);
  if (author !== undefined) {
    const key = casefold(author);
    tests.push((book) => book.author !== "" && casefold(book.author) === key);
  }
  if (pages !== undefined) tests.push((book) => inPageBucket(book.pages, pages));
  if (decade !== undefined) {
    tests.push((book) =>
      book.original_publication_year === null
        ? decade === UNKNOWN
        : decadeLabel(book.original_publication_year) === decade,
    );
  }
  if (fiction !== undefined) tests.push((book) => (book.fiction ?? UNKNOWN) === fiction);
  if (cmp !== undefined) tests.push((book) => ratingComparison(book) === cmp);
  if (filter.series !== undefined) {
    const key = casefold(filter.series);
    const members = new Set(
      library.dashboard.series
        .filter((series) => casefold(series.name) === key)
        .flatMap((series) => series.books.map((book) => book.book_id)),
    );
    tests.push((book) => members.has(book.book_id));
  }
  if (filter.added !== undefined) {
    tests.push((book) => book.date_added !== null && book.date_added.startsWith(`${filter.added}-`));
  }
  if (filter.age !== undefined) {
    const asOf = library.dashboard.to_read?.as_of ?? null;
    tests.push((book) => ageBucket(book.date_added, asOf) === filter.age);
  }
  if (filter.reread !== undefined) tests.push((book) => book.reread === (filter.reread === "yes"));
  return tests;
}

export function applyFilter(library: Library, filter: BookFilter): DashboardBook[] {
  const tests = predicates(library, filter);
  return library.books.filter((book) => tests.every((test) => test(book)));
}

type SortValue = string | number | null;
const SORT_VALUE: Record<SortKey, (book: DashboardBook) => SortValue> = {
  export: () => null,
  title: (book) => searchable(book.title),
  author: (book) => searchable(book.author),
  date_read: (book) => book.date_read,
  date_added: (book) => book.date_added,
  rating: (book) => book.my_rating,
  average: (book) => book.average_rating,
  pages: (book) => book.pages,
  published: (book) => book.original_publication_year,
};

/** Sorted copy; books without the value come last either way, ties keep export order. */
export function sortBooks(
  library: Library,
  books: readonly DashboardBook[],
  sort: SortKey,
  dir: SortDirection,
): DashboardBook[] {
  const position = (book: DashboardBook) => library.position.get(book.book_id) ?? 0;
  const value = SORT_VALUE[sort];
  const sign = dir === "desc" ? -1 : 1;
  return [...books].sort((a, b) => {
    if (sort === "export") return sign * (position(a) - position(b));
    const x = value(a);
    const y = value(b);
    if (x === null || y === null) {
      if (x === y) return position(a) - position(b);
      return x === null ? 1 : -1;
    }
    const order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
    return sign * order || position(a) - position(b);
  });
}
