import { useEffect, useMemo, useState } from "preact/hooks";
import type { DashboardBook } from "../../data/dashboard.v1";
import {
  applyFilter,
  type BookFilter,
  type BookQuery,
  type FilterKey,
  SORT_KEYS,
  type SortKey,
  sortBooks,
  UNDATED,
  UNRATED,
} from "../../data/filters";
import { formatDate, formatInt, stars } from "../../data/format";
import type { Library } from "../../data/library";
import { booksHref, navigate, type Source } from "../../router";
import { BookLink, StatusBadge } from "../common";

export const PAGE_SIZE = 100;

const SORT_LABELS: Record<SortKey, string> = {
  export: "export order",
  title: "title",
  author: "author",
  date_read: "date read",
  date_added: "date added",
  rating: "your rating",
  average: "community rating",
  pages: "pages",
  published: "first published",
};

// Filters that charts set and the form has no control for, shown as removable chips.
const CHIP_LABELS: Partial<Record<FilterKey, string>> = {
  month: "month read",
  author: "author",
  pages: "pages",
  decade: "first published",
  fiction: "fiction",
  cmp: "against the community",
  series: "series",
  added: "added in",
  age: "waiting",
  reread: "re-read",
};

function Select({ label, name, value, options, onChange }: {
  label: string; name: string; value: string | undefined; options: readonly (readonly [string, string])[]; onChange: (value: string) => void;
}) {
  return (
    <div class="field">
      <label for={`filter-${name}`}>{label}</label>
      <select id={`filter-${name}`} name={name} value={value ?? ""} onChange={(event) => onChange((event.target as HTMLSelectElement).value)}>
        <option value="">any</option>
        {options.map(([optionValue, text]) => <option key={optionValue} value={optionValue}>{text}</option>)}
      </select>
    </div>
  );
}

function Row({ book, source }: { book: DashboardBook; source: Source }) {
  return (
    <tr data-book-id={book.book_id}>
      <td class="title-cell"><BookLink book={book} source={source} /><span class="author" dir="auto">{book.author}</span></td>
      <td class="wide-only">{book.exclusive_shelf}</td>
      <td class="nowrap">{formatDate(book.date_read)}</td>
      <td class="nowrap" aria-label={book.my_rating === null ? "unrated" : `${book.my_rating} of 5`}>{book.my_rating === null ? "–" : stars(book.my_rating)}</td>
      <td class="num">{book.pages === null ? "–" : formatInt(book.pages)}</td>
      <td class="genres-cell wide-only">{book.genres.join(", ")}</td>
      <td class="wide-only"><StatusBadge status={book.enrichment} /></td>
    </tr>
  );
}

export function Books({ library, source, query }: { library: Library; source: Source; query: BookQuery }) {
  const [shown, setShown] = useState(PAGE_SIZE);
  const [searchText, setSearchText] = useState(query.filter.q ?? "");
  const filtered = useMemo(() => applyFilter(library, query.filter), [library, query.filter]);
  const sorted = useMemo(() => sortBooks(library, filtered, query.sort, query.dir), [library, filtered, query.sort, query.dir]);
  const facets = library.facets;
  // A new query (a link, the back button) starts at the first page and shows its own search.
  useEffect(() => {
    setShown(PAGE_SIZE);
    if ((query.filter.q ?? "") !== searchText.trim()) setSearchText(query.filter.q ?? "");
  }, [query]);

  const go = (next: Partial<BookQuery>, replace = false) => {
    navigate(booksHref(source, { ...query, ...next }), { replace });
  };
  const setFilter = (key: FilterKey, value: string, replace = false) => {
    const filter: BookFilter = { ...query.filter };
    if (value === "") delete filter[key];
    else filter[key] = value;
    go({ filter }, replace);
  };
  const chips = (Object.keys(CHIP_LABELS) as FilterKey[]).filter((key) => query.filter[key] !== undefined);
  const active = Object.keys(query.filter).length > 0;

  return (
    <>
      <h1>Books</h1>
      <form class="filters" role="search" onSubmit={(event) => event.preventDefault()}>
        <div class="field search">
          <label for="filter-q">Search title, author or ISBN</label>
          <input
            id="filter-q"
            type="search"
            name="q"
            value={searchText}
            autocomplete="off"
            onInput={(event) => {
              const value = (event.target as HTMLInputElement).value;
              setSearchText(value);
              setFilter("q", value.trim(), true);
            }}
          />
        </div>
        <Select label="Shelf" name="shelf" value={query.filter.shelf} options={facets.shelves.map((shelf) => [shelf, shelf] as const)} onChange={(value) => setFilter("shelf", value)} />
        <Select label="Year read" name="year" value={query.filter.year}
          options={[...[...facets.readingYears].reverse().map((year) => [String(year), String(year)] as const), [UNDATED, "no date"] as const]} onChange={(value) => setFilter("year", value)} />
        <Select label="Your rating" name="rating" value={query.filter.rating}
          options={[...[5, 4, 3, 2, 1].map((rating) => [String(rating), `${rating} ★`] as const), [UNRATED, "unrated"] as const]} onChange={(value) => setFilter("rating", value)} />
        <Select label="Genre" name="genre" value={query.filter.genre} options={facets.genres.map((genre) => [genre, genre] as const)} onChange={(value) => setFilter("genre", value)} />
        <Select label="Enrichment" name="status" value={query.filter.status} options={facets.statuses.map((status) => [status, status.replace("_", " ")] as const)} onChange={(value) => setFilter("status", value)} />
        <div class="field">
          <label for="filter-sort">Sort by</label>
          <select id="filter-sort" name="sort" value={query.sort} onChange={(event) => go({ sort: (event.target as HTMLSelectElement).value as SortKey })}>
            {SORT_KEYS.map((key) => <option key={key} value={key}>{SORT_LABELS[key]}</option>)}
          </select>
        </div>
        <div class="field">
          <label for="filter-dir">Order</label>
          <select id="filter-dir" name="dir" value={query.dir} onChange={(event) => go({ dir: (event.target as HTMLSelectElement).value === "desc" ? "desc" : "asc" })}>
            <option value="asc">ascending</option>
            <option value="desc">descending</option>
          </select>
        </div>
      </form>
      {chips.length > 0 && (
        <ul class="chips" aria-label="Filters from charts">
          {chips.map((key) => (
            <li key={key}>
              <span dir="auto">{CHIP_LABELS[key]}: {query.filter[key]}</span>
              <button type="button" aria-label={`Remove the filter ${CHIP_LABELS[key]}`} onClick={() => setFilter(key, "")}>×</button>
            </li>
          ))}
        </ul>
      )}
      <p class="result-count" role="status" aria-live="polite">
        <span data-testid="book-count">{formatInt(sorted.length)}</span> of {formatInt(library.books.length)} books
        {active && <> · <a href={booksHref(source, {})}>clear every filter</a></>}
      </p>
      {sorted.length === 0 ? (
        <p class="empty">No book matches these filters.</p>
      ) : (
        <div class="table-scroll">
          <table class="books">
            <thead>
              <tr>
                <th scope="col">Title and author</th>
                <th scope="col" class="wide-only">Shelf</th>
                <th scope="col">Read</th>
                <th scope="col">Rating</th>
                <th scope="col" class="num">Pages</th>
                <th scope="col" class="wide-only">Genres</th>
                <th scope="col" class="wide-only">Enrichment</th>
              </tr>
            </thead>
            <tbody>
              {sorted.slice(0, shown).map((book) => <Row key={book.book_id} book={book} source={source} />)}
            </tbody>
          </table>
        </div>
      )}
      {sorted.length > shown && (
        <button type="button" class="more" onClick={() => setShown(shown + PAGE_SIZE)}>
          Show {formatInt(Math.min(PAGE_SIZE, sorted.length - shown))} more ({formatInt(sorted.length - shown)} not shown)
        </button>
      )}
    </>
  );
}
