import { useState } from "preact/hooks";
import { formatDate, formatInt, formatRating, formatYear, stars } from "../../data/format";
import type { Library } from "../../data/library";
import { goodreadsUrl } from "../../data/links";
import { booksHref, type Source } from "../../router";
import { Cover, StatusBadge } from "../common";

const PAGES_SOURCE: Record<string, string> = {
  export: "from your export",
  openlibrary: "from Open Library",
  google_books: "from Google Books",
  enrichment: "from enrichment",
};

export function BookDetail({ library, source, bookId }: { library: Library; source: Source; bookId: string }) {
  const book = library.byId.get(bookId);
  const [showSpoiler, setShowSpoiler] = useState(false);
  if (!book) {
    return (
      <>
        <h1>Book not found</h1>
        <p class="empty">This dashboard has no book with that id. <a href={booksHref(source, {})}>See every book.</a></p>
      </>
    );
  }
  const link = goodreadsUrl(book.goodreads_url);
  const hidden = book.spoiler && !showSpoiler;
  const facts: [string, preact.ComponentChildren][] = [
    ["Author", <span dir="auto">{book.author || "unknown"}</span>],
    ...(book.additional_authors.length ? [["Also by", <span dir="auto">{book.additional_authors.join(", ")}</span>] as [string, preact.ComponentChildren]] : []),
    ["Shelf", <a href={booksHref(source, { filter: { shelf: book.exclusive_shelf } })}>{book.exclusive_shelf}</a>],
    ["Other shelves", book.bookshelves.length ? book.bookshelves.join(", ") : "none"],
    ["Date read", formatDate(book.date_read)],
    ["Date added", formatDate(book.date_added)],
    ["Your rating", book.my_rating === null ? "unrated" : <span aria-label={`${book.my_rating} of 5`}>{stars(book.my_rating)}</span>],
    ["Community rating", formatRating(book.average_rating)],
    ["Pages", book.pages === null ? "unknown" : `${formatInt(book.pages)} (${PAGES_SOURCE[book.pages_source ?? ""] ?? "source unknown"})`],
    ["First published", book.original_publication_year === null ? "unknown" : formatYear(book.original_publication_year)],
    ["Times read", formatInt(book.read_count)],
    ["ISBN-13", book.isbn13 ?? "none"],
  ];
  return (
    <article class="book-detail">
      <div class="book-head">
        <Cover book={book} size="large" />
        <div>
          <h1 dir="auto">{book.title || "(untitled)"}</h1>
          <p class="lede" dir="auto">by {book.author || "unknown"}</p>
          {link && <p><a href={link} target="_blank" rel="noopener noreferrer">See it on Goodreads</a></p>}
        </div>
      </div>
      <dl class="facts">
        {facts.map(([term, value]) => (
          <div key={term}><dt>{term}</dt><dd>{value}</dd></div>
        ))}
      </dl>
      <section class="section">
        <h2>Genres</h2>
        {book.genres.length ? (
          <ul class="tags">{book.genres.map((genre) => <li key={genre}><a href={booksHref(source, { filter: { genre } })}>{genre}</a></li>)}</ul>
        ) : <p class="muted">No genres: {book.enrichment === "enriched" ? "the sources gave none." : "the book was not enriched."}</p>}
        {book.raw_subjects.length > 0 && (
          <details>
            <summary>Subjects as the sources list them ({formatInt(book.raw_subjects.length)})</summary>
            <ul class="tags subtle">{book.raw_subjects.map((subject, index) => <li key={index} dir="auto">{subject}</li>)}</ul>
          </details>
        )}
      </section>
      <section class="section">
        <h2>Your review</h2>
        {book.review_text === null ? (
          <p class="muted">No review.</p>
        ) : hidden ? (
          <p>
            <span class="muted">This review contains spoilers. </span>
            <button type="button" class="link-button" onClick={() => setShowSpoiler(true)}>Show the review</button>
          </p>
        ) : (
          <div class="review" dir="auto">{book.review_text}</div>
        )}
      </section>
      <section class="section">
        <h2>Enrichment</h2>
        <p><StatusBadge status={book.enrichment} /> {book.enrichment_reason && <span dir="auto">{book.enrichment_reason}</span>}</p>
      </section>
    </article>
  );
}
