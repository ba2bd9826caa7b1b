// Small pieces every view uses. Data reaches the page only as text (JSX children and
// attributes): nothing here, nor anywhere in the app, writes HTML from a string.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import type { DashboardBook } from "../data/dashboard.v1";
import { coverUrl } from "../data/links";
import { href, type Source } from "../router";

export function Card({ label, value, detail, link, text = false }: { label: string; value: string; detail?: string; link?: string; text?: boolean }) {
  const body = (
    <>
      <span class="card-label">{label}</span>
      <span class={text ? "card-value text" : "card-value"} dir="auto">{value}</span>
      {detail && <span class="card-detail">{detail}</span>}
    </>
  );
  return <li class="card">{link ? <a href={link}>{body}</a> : <div>{body}</div>}</li>;
}

export function Cards({ children, label }: { children: ComponentChildren; label: string }) {
  return (
    <ul class="cards" aria-label={label}>
      {children}
    </ul>
  );
}

export function BookLink({ book, source }: { book: DashboardBook; source: Source }) {
  return (
    <a href={href(source, { name: "book", bookId: book.book_id })} class="book-link" dir="auto">
      {book.title || "(untitled)"}
    </a>
  );
}

function initials(title: string): string {
  const words = title.replace(/\(.*$/, "").split(/\s+/).filter(Boolean);
  return words.slice(0, 2).map((word) => [...word][0] ?? "").join("").toUpperCase() || "?";
}

/** The book's cover when it has one from an allowed host and it loads; a placeholder else. */
export function Cover({ book, size = "medium" }: { book: DashboardBook; size?: "small" | "medium" | "large" }) {
  const url = coverUrl(book.cover_url);
  const [failed, setFailed] = useState(false);
  if (url === null || failed) {
    return (
      <div class={`cover placeholder ${size}`} role="img" aria-label={`No cover for ${book.title}`}>
        <span aria-hidden="true">{initials(book.title)}</span>
      </div>
    );
  }
  return (
    <img
      class={`cover ${size}`}
      src={url}
      alt={`Cover of ${book.title}`}
      loading="lazy"
      decoding="async"
      referrerpolicy="no-referrer"
      onError={() => setFailed(true)}
    />
  );
}

export function Section({ title, id, children, intro }: { title: string; id?: string; children: ComponentChildren; intro?: ComponentChildren }) {
  return (
    <section class="section" aria-labelledby={id ? `${id}-title` : undefined}>
      <h2 id={id ? `${id}-title` : undefined}>{title}</h2>
      {intro && <p class="intro">{intro}</p>}
      {children}
    </section>
  );
}

export const STATUS_TEXT: Record<DashboardBook["enrichment"], string> = {
  enriched: "enriched",
  not_found: "not found",
  failed: "failed",
  skipped: "skipped",
  missing: "missing",
};

export function StatusBadge({ status }: { status: DashboardBook["enrichment"] }) {
  return <span class={`badge status-${status}`}>{STATUS_TEXT[status]}</span>;
}
