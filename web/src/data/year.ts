// A year in review: what was read in one calendar year (by Date Read), against the year before.
import { type ChartSpec, describePoints } from "./charts";
import type { DashboardBook } from "./dashboard.v1";
import { casefold, UNRATED } from "./filters";
import { type Library, READ_SHELF, readYear } from "./library";
import { monthName } from "./format";

export const TOP_SHOWN = 5;

export interface Ranked {
  readonly name: string;
  readonly books: number;
}

export interface YearTotals {
  readonly year: number;
  readonly books: number;
  readonly pages: number;
}

export interface YearReview extends YearTotals {
  readonly read: readonly DashboardBook[];
  readonly shortest: DashboardBook | null;
  readonly longest: DashboardBook | null;
  readonly highestRated: readonly DashboardBook[];
  readonly lowestRated: readonly DashboardBook[];
  readonly averageRating: number | null;
  readonly rereads: number;
  readonly newAuthors: number;
  readonly topGenres: readonly Ranked[];
  readonly topAuthors: readonly Ranked[];
  readonly previous: YearTotals;
  readonly charts: readonly ChartSpec[];
}

function byDateRead(library: Library) {
  return (a: DashboardBook, b: DashboardBook) =>
    (a.date_read ?? "").localeCompare(b.date_read ?? "") ||
    (library.position.get(a.book_id) ?? 0) - (library.position.get(b.book_id) ?? 0);
}

export function readInYear(library: Library, year: number): DashboardBook[] {
  return library.read.filter((book) => readYear(book) === year).sort(byDateRead(library));
}

function totals(library: Library, year: number): YearTotals {
  const point = library.dashboard.books_per_year.find((entry) => entry.year === year);
  return { year, books: point?.books ?? 0, pages: point?.pages ?? 0 };
}

function ranked(counts: Map<string, { name: string; books: number }>): Ranked[] {
  return [...counts.values()]
    .sort((a, b) => b.books - a.books || a.name.localeCompare(b.name))
    .slice(0, TOP_SHOWN)
    .map(({ name, books }) => ({ name, books }));
}

/** The first of the books with the extreme value (ties keep date order), up to TOP_SHOWN. */
function extremes(books: DashboardBook[], value: (book: DashboardBook) => number | null, pick: "max" | "min") {
  const values = books.map(value).filter((v): v is number => v !== null);
  if (values.length === 0) return [];
  const target = pick === "max" ? Math.max(...values) : Math.min(...values);
  return books.filter((book) => value(book) === target).slice(0, TOP_SHOWN);
}

export function yearReview(library: Library, year: number): YearReview {
  const read = readInYear(library, year);
  const withPages = read.filter((book) => book.pages !== null);
  const rated = read.filter((book) => book.my_rating !== null);
  const highestRated = extremes(rated, (book) => book.my_rating, "max");
  const lowestCandidates = extremes(rated, (book) => book.my_rating, "min");
  const lowestRated = lowestCandidates[0]?.my_rating === highestRated[0]?.my_rating ? [] : lowestCandidates;

  const genres = new Map<string, { name: string; books: number }>();
  const authors = new Map<string, { name: string; books: number }>();
  for (const book of read) {
    for (const genre of new Set(book.genres)) {
      const entry = genres.get(genre) ?? { name: genre, books: 0 };
      genres.set(genre, { ...entry, books: entry.books + 1 });
    }
    if (book.author) {
      const key = casefold(book.author);
      const entry = authors.get(key) ?? { name: book.author, books: 0 };
      authors.set(key, { ...entry, books: entry.books + 1 });
    }
  }
  // An author is new this year when no dated read of theirs is earlier.
  const firstYear = new Map<string, number>();
  for (const book of library.read) {
    const when = readYear(book);
    if (when === null || !book.author) continue;
    const key = casefold(book.author);
    firstYear.set(key, Math.min(firstYear.get(key) ?? when, when));
  }
  const newAuthors = [...authors.keys()].filter((key) => firstYear.get(key) === year).length;

  const monthly = Array.from({ length: 12 }, (_, index) => {
    const month = `${year}-${String(index + 1).padStart(2, "0")}`;
    const point = library.dashboard.books_per_month.find((entry) => entry.month === month);
    return { label: monthName(index + 1), value: point?.books ?? 0, filter: { shelf: READ_SHELF, month } };
  });
  const ratingPoints = [1, 2, 3, 4, 5, null].map((rating) => ({
    label: rating === null ? "unrated" : `${rating} ★`,
    value: read.filter((book) => book.my_rating === rating).length,
    filter: { shelf: READ_SHELF, year: String(year), rating: rating === null ? UNRATED : String(rating) },
  }));
  const genrePoints = ranked(genres).map((genre) => ({
    label: genre.name,
    value: genre.books,
    filter: { shelf: READ_SHELF, year: String(year), genre: genre.name },
  }));
  const chart = (id: string, title: string, kind: ChartSpec["kind"], points: ChartSpec["points"], empty: string): ChartSpec => ({
    id, title, kind, unit: "books", points, empty, description: describePoints(points, "books"),
  });

  const pages = read.reduce((sum, book) => sum + (book.pages ?? 0), 0);
  return {
    year,
    books: read.length,
    pages,
    read,
    shortest: withPages.reduce<DashboardBook | null>((best, book) => (best === null || book.pages! < best.pages! ? book : best), null),
    longest: withPages.reduce<DashboardBook | null>((best, book) => (best === null || book.pages! > best.pages! ? book : best), null),
    highestRated,
    lowestRated,
    averageRating: rated.length ? Math.round((rated.reduce((sum, book) => sum + book.my_rating!, 0) / rated.length) * 100) / 100 : null,
    rereads: read.filter((book) => book.reread).length,
    newAuthors,
    topGenres: ranked(genres),
    topAuthors: ranked(authors),
    previous: totals(library, year - 1),
    charts: [
      chart(`year-${year}-months`, `Books per month in ${year}`, "bar", monthly, "No reads this year."),
      chart(`year-${year}-genres`, `Top genres in ${year}`, "hbar", genrePoints, "No genres this year: genres come from enrichment."),
      chart(`year-${year}-ratings`, `Your ratings in ${year}`, "bar", ratingPoints, "No reads this year."),
    ],
  };
}
