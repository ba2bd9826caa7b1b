// Every chart as data: its points, the list each point opens, and a sentence that says what
// it shows. The chart component draws these; the "show data" table lists the same points; the
// tests compare them with the dashboard JSON.
import type { DashboardBook } from "./dashboard.v1";
import { type BookFilter, UNKNOWN, UNRATED } from "./filters";
import { ENRICHMENT_STATUSES, type Library, READ_SHELF, readYear, TO_READ_SHELF } from "./library";
import { formatInt, formatRating, monthName, plural } from "./format";

export type ChartKind = "bar" | "hbar" | "doughnut" | "line";

export interface ChartPoint {
  readonly label: string;
  readonly value: number;
  /** The books behind the point, or null when it stands for no list. */
  readonly filter: BookFilter | null;
}

export interface ChartSpec {
  readonly id: string;
  readonly title: string;
  readonly kind: ChartKind;
  /** What a value counts, for the table's header and the description. */
  readonly unit: string;
  readonly points: readonly ChartPoint[];
  readonly description: string;
  /** Shown instead of the chart when there is nothing to draw. */
  readonly empty: string;
}

export interface HeatmapCell {
  readonly year: number;
  readonly month: number;
  readonly books: number;
  readonly pages: number;
  readonly filter: BookFilter;
}

export interface HeatmapSpec {
  readonly id: string;
  readonly title: string;
  readonly kind: "heatmap";
  readonly unit: string;
  readonly years: readonly number[];
  readonly cells: readonly HeatmapCell[];
  readonly description: string;
  readonly empty: string;
}

export type AnyChartSpec = ChartSpec | HeatmapSpec;

const readFilter = (extra: BookFilter): BookFilter => ({ shelf: READ_SHELF, ...extra });
export const TOP_GENRES_SHOWN = 15;

export const ENRICHMENT_LABELS: Record<DashboardBook["enrichment"], string> = {
  enriched: "enriched",
  not_found: "not found",
  failed: "failed",
  skipped: "skipped",
  missing: "missing",
};

/** "Total: 190 books. Most: 2021 (52). Fewest: 2012 (3)." over the points with a value. */
export function describePoints(points: readonly ChartPoint[], unit: string): string {
  const shown = points.filter((point) => point.value > 0);
  if (shown.length === 0) return `No ${unit}.`;
  const total = shown.reduce((sum, point) => sum + point.value, 0);
  const most = shown.reduce((best, point) => (point.value > best.value ? point : best));
  const fewest = shown.reduce((best, point) => (point.value < best.value ? point : best));
  const parts = [`Total: ${formatInt(total)} ${total === 1 ? unit.replace(/s$/, "") : unit}.`];
  parts.push(`Most: ${most.label} (${formatInt(most.value)}).`);
  if (fewest.value < most.value) parts.push(`Fewest: ${fewest.label} (${formatInt(fewest.value)}).`);
  return parts.join(" ");
}

function spec(
  id: string,
  title: string,
  kind: ChartKind,
  unit: string,
  points: ChartPoint[],
  empty: string,
  description?: string,
): ChartSpec {
  return { id, title, kind, unit, points, empty, description: description ?? describePoints(points, unit) };
}

export function booksPerYear(library: Library): ChartSpec {
  const { dashboard } = library;
  const points = dashboard.books_per_year.map((point) => ({
    label: String(point.year),
    value: point.books,
    filter: readFilter({ year: String(point.year) }),
  }));
  const undated = dashboard.summary.undated_read_books;
  const note = undated > 0 ? ` ${plural(undated, "read book")} without a date read ${undated === 1 ? "is" : "are"} in no year.` : "";
  return spec("books-per-year", "Books read per year", "bar", "books", points, "No dated reads yet.", describePoints(points, "books") + note);
}

export function pagesPerYear(library: Library): ChartSpec {
  const points = library.dashboard.books_per_year.map((point) => ({
    label: String(point.year),
    value: point.pages,
    filter: readFilter({ year: String(point.year) }),
  }));
  return spec("pages-per-year", "Pages read per year", "bar", "pages", points, "No dated reads yet.");
}

export function monthHeatmap(library: Library): HeatmapSpec {
  const cells = library.dashboard.books_per_month.map((point) => {
    const [year, month] = point.month.split("-").map(Number) as [number, number];
    return { year, month, books: point.books, pages: point.pages, filter: readFilter({ month: point.month }) };
  });
  const years = [...new Set(cells.map((cell) => cell.year))].sort((a, b) => a - b);
  const busiest = cells.reduce<HeatmapCell | null>((best, cell) => (best === null || cell.books > best.books ? cell : best), null);
  const description =
    busiest === null
      ? "No dated reads yet."
      : `Books read per month, ${years[0]} to ${years[years.length - 1]}. Busiest month: ${monthName(busiest.month)} ${busiest.year} (${plural(busiest.books, "book")}).`;
  return { id: "month-heatmap", title: "Books per month", kind: "heatmap", unit: "books", years, cells, description, empty: "No dated reads yet." };
}

export function ratingHistogram(library: Library): ChartSpec {
  const points = library.dashboard.ratings.map((bucket) => ({
    label: bucket.rating === null ? "unrated" : `${bucket.rating} ★`,
    value: bucket.books,
    filter: readFilter({ rating: bucket.rating === null ? UNRATED : String(bucket.rating) }),
  }));
  const average = library.dashboard.summary.average_rating;
  return spec("ratings", "Your ratings", "bar", "books", points, "No read books yet.",
    `${describePoints(points, "books")} Your average: ${formatRating(average)}.`);
}

export function ratingVsCommunity(library: Library): ChartSpec {
  const comparison = library.dashboard.rating_vs_community;
  const points = (["higher", "same", "lower"] as const).map((cmp) => ({
    label: cmp === "same" ? "about the same" : `you rated ${cmp}`,
    value: comparison[cmp],
    filter: readFilter({ cmp }),
  }));
  const description =
    comparison.books === 0
      ? "No read book has both your rating and a community average."
      : `Over ${plural(comparison.books, "book")} you rated that have a community average, your average is ${formatRating(comparison.your_average)} against the community's ${formatRating(comparison.community_average)}. Higher by more than half a star: ${comparison.higher}; lower: ${comparison.lower}; within half a star: ${comparison.same}.`;
  return spec("rating-vs-community", "You against the community", "hbar", "books", points,
    "No read book has both your rating and a community average.", description);
}

export function topGenres(library: Library): ChartSpec {
  const all = library.dashboard.genres;
  const points = all.slice(0, TOP_GENRES_SHOWN).map((genre) => ({
    label: genre.genre,
    value: genre.books,
    filter: readFilter({ genre: genre.genre }),
  }));
  const more = all.length > TOP_GENRES_SHOWN ? ` The top ${TOP_GENRES_SHOWN} of ${all.length} genres.` : "";
  return spec("genres", "Top genres of books read", "hbar", "books", points,
    "No genres yet: genres come from enrichment.", describePoints(points, "books") + more);
}

export function fictionSplit(library: Library): ChartSpec {
  const split = library.dashboard.fiction_split;
  const points = [
    { label: "fiction", value: split.fiction, filter: readFilter({ fiction: "fiction" }) },
    { label: "nonfiction", value: split.nonfiction, filter: readFilter({ fiction: "nonfiction" }) },
    { label: UNKNOWN, value: split.unknown, filter: readFilter({ fiction: UNKNOWN }) },
  ];
  return spec("fiction-split", "Fiction and nonfiction", "doughnut", "books", points, "No read books yet.");
}

export function pageLengths(library: Library): ChartSpec {
  const points = library.dashboard.page_buckets.map((bucket) => ({
    label: bucket.label,
    value: bucket.books,
    filter: readFilter({ pages: bucket.label }),
  }));
  return spec("page-lengths", "Book lengths (pages)", "bar", "books", points, "No read books yet.");
}

export function publicationDecades(library: Library): ChartSpec {
  const points = library.dashboard.publication_decades.map((bucket) => ({
    label: bucket.label,
    value: bucket.books,
    filter: readFilter({ decade: bucket.label }),
  }));
  return spec("publication-decades", "When your books were first published", "bar", "books", points, "No read books yet.");
}

export function topAuthors(library: Library): ChartSpec {
  const points = library.dashboard.top_authors.map((author) => ({
    label: author.author,
    value: author.books,
    filter: readFilter({ author: author.author }),
  }));
  return spec("top-authors", "Top authors", "hbar", "books", points, "No read books yet.");
}

export function shelves(library: Library): ChartSpec {
  const points = library.dashboard.shelves
    .filter((shelf) => shelf.books > 0)
    .map((shelf) => ({ label: shelf.shelf, value: shelf.books, filter: { shelf: shelf.shelf } }));
  return spec("shelves", "Shelves", "hbar", "books", points, "No books yet.",
    `${describePoints(points, "books")} A book is on one exclusive shelf and any number of others.`);
}

export function averageRatingPerYear(library: Library): ChartSpec {
  const byYear = new Map<number, number[]>();
  for (const book of library.read) {
    const year = readYear(book);
    if (year === null || book.my_rating === null) continue;
    const ratings = byYear.get(year);
    if (ratings) ratings.push(book.my_rating);
    else byYear.set(year, [book.my_rating]);
  }
  const points = [...byYear.entries()]
    .sort(([a], [b]) => a - b)
    .map(([year, ratings]) => ({
      label: String(year),
      value: Math.round((ratings.reduce((sum, rating) => sum + rating, 0) / ratings.length) * 100) / 100,
      filter: readFilter({ year: String(year) }),
    }));
  const description =
    points.length === 0
      ? "No rated, dated reads yet."
      : `Your average rating per year of reading, ${points[0]!.label} to ${points[points.length - 1]!.label}: ` +
        points.map((point) => `${point.label} ${formatRating(point.value)}`).join(", ") + ".";
  return spec("rating-per-year", "Your average rating per year", "line", "average rating", points, "No rated, dated reads yet.", description);
}

export function enrichmentStatus(library: Library): ChartSpec {
  const counts = new Map<string, number>();
  for (const book of library.books) counts.set(book.enrichment, (counts.get(book.enrichment) ?? 0) + 1);
  const points = ENRICHMENT_STATUSES.filter((status) => counts.has(status)).map((status) => ({
    label: ENRICHMENT_LABELS[status],
    value: counts.get(status) ?? 0,
    filter: { status },
  }));
  return spec("enrichment", "Enrichment", "doughnut", "books", points, "No books yet.");
}

export function overviewCharts(library: Library): AnyChartSpec[] {
  return [
    booksPerYear(library),
    pagesPerYear(library),
    monthHeatmap(library),
    ratingHistogram(library),
    ratingVsCommunity(library),
    averageRatingPerYear(library),
    topGenres(library),
    fictionSplit(library),
    pageLengths(library),
    publicationDecades(library),
    topAuthors(library),
    shelves(library),
    enrichmentStatus(library),
  ];
}

// --- The to-read pile ----------------------------------------------------------------------

const toReadFilter = (extra: BookFilter): BookFilter => ({ shelf: TO_READ_SHELF, ...extra });

export function toReadCharts(library: Library): ChartSpec[] {
  const pile = library.dashboard.to_read;
  if (pile === null) return [];
  return [
    spec("to-read-added", "Added to the pile, per year", "bar", "books",
      pile.added_per_year.map((point) => ({ label: String(point.year), value: point.books, filter: toReadFilter({ added: String(point.year) }) })),
      "No book on the pile has a date added."),
    spec("to-read-age", "How long books have waited", "bar", "books",
      pile.age_buckets.map((bucket) => ({ label: bucket.label, value: bucket.books, filter: toReadFilter({ age: bucket.label }) })),
      "The pile is empty."),
    spec("to-read-genres", "Top genres on the pile", "hbar", "books",
      pile.top_genres.map((genre) => ({ label: genre.genre, value: genre.books, filter: toReadFilter({ genre: genre.genre }) })),
      "No genres on the pile yet: genres come from enrichment."),
  ];
}
