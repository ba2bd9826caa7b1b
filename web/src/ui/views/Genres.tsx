import { useMemo, useState } from "preact/hooks";
import type { DashboardBook } from "../../data/dashboard.v1";
import { formatInt, plural } from "../../data/format";
import { isRead, type Library } from "../../data/library";
import { booksHref, type Source } from "../../router";
import { BookLink } from "../common";

interface GenreGroup {
  readonly genre: string;
  readonly books: DashboardBook[];
  readonly read: number;
}

function groups(library: Library): GenreGroup[] {
  const byGenre = new Map<string, DashboardBook[]>();
  for (const book of library.books) {
    for (const genre of new Set(book.genres)) {
      const books = byGenre.get(genre);
      if (books) books.push(book);
      else byGenre.set(genre, [book]);
    }
  }
  return [...byGenre.entries()]
    .map(([genre, books]) => ({ genre, books, read: books.filter(isRead).length }))
    .sort((a, b) => b.books.length - a.books.length || a.genre.localeCompare(b.genre));
}

function GenreItem({ group, source }: { group: GenreGroup; source: Source }) {
  // The list is built when opened: 10,000 books in 40 genres are 10,000+ links otherwise.
  const [open, setOpen] = useState(false);
  return (
    <li>
      <details onToggle={(event) => setOpen((event.target as HTMLDetailsElement).open)} data-genre={group.genre}>
        <summary>
          <span class="genre-name">{group.genre}</span> <span class="muted">{plural(group.books.length, "book")}, {formatInt(group.read)} read</span>
        </summary>
        {open && (
          <>
            <p><a href={booksHref(source, { filter: { genre: group.genre } })}>Open these {plural(group.books.length, "book")} in the list</a></p>
            <ul class="plain columns-list">
              {group.books.map((book) => (
                <li key={book.book_id}><BookLink book={book} source={source} /> <span class="muted">{book.exclusive_shelf}</span></li>
              ))}
            </ul>
          </>
        )}
      </details>
    </li>
  );
}

export function Genres({ library, source }: { library: Library; source: Source }) {
  const all = useMemo(() => groups(library), [library]);
  const without = library.books.filter((book) => book.genres.length === 0).length;
  return (
    <>
      <h1>Genres</h1>
      <p class="lede">
        {plural(all.length, "genre")} across your library. Genres come from enrichment, mapped from the sources' subjects to one canonical list; a book can have several.
        {without > 0 && <> {plural(without, "book")} {without === 1 ? "has" : "have"} none.</>}
      </p>
      {all.length === 0 ? <p class="empty">No genres yet: no book was enriched.</p> : (
        <ul class="genre-list">{all.map((group) => <GenreItem key={group.genre} group={group} source={source} />)}</ul>
      )}
    </>
  );
}
