import { useState } from "preact/hooks";
import type { SeriesStat } from "../../data/dashboard.v1";
import { plural } from "../../data/format";
import type { Library } from "../../data/library";
import { booksHref, type Source } from "../../router";
import { BookLink } from "../common";

const STATUS: Record<SeriesStat["status"], string> = {
  in_progress: "In progress",
  finished: "Finished",
  not_started: "Not started",
};

// Longer series show their first books and a button for the rest.
const BOOKS_SHOWN = 25;

function SeriesCard({ series, library, source }: { series: SeriesStat; library: Library; source: Source }) {
  const [all, setAll] = useState(false);
  const shown = all ? series.books : series.books.slice(0, BOOKS_SHOWN);
  return (
    <li class="series-card" data-series={series.name}>
      <h3 dir="auto"><a href={booksHref(source, { filter: { series: series.name } })}>{series.name}</a></h3>
      <p>
        <span class={`badge series-${series.status}`}>{STATUS[series.status].toLowerCase()}</span>{" "}
        {series.read.length > 0 ? <>read #{series.read.join(", #")}</> : "none read yet"}
        {series.skipped.length > 0 && <> · <strong>skipped #{series.skipped.join(", #")}</strong></>}
      </p>
      <ol class="series-books">
        {shown.map((entry) => {
          const book = library.byId.get(entry.book_id);
          return (
            <li key={`${entry.book_id}-${entry.number}`} class={entry.read ? "read" : "unread"}>
              <span class="series-number">#{entry.number}</span>{" "}
              {book ? <BookLink book={book} source={source} /> : entry.book_id}{" "}
              <span class="muted">{entry.read ? "read" : book?.exclusive_shelf ?? ""}</span>
            </li>
          );
        })}
      </ol>
      {shown.length < series.books.length && (
        <button type="button" class="link-button" onClick={() => setAll(true)}>
          Show all {plural(series.books.length, "book")}
        </button>
      )}
    </li>
  );
}

export function SeriesView({ library, source }: { library: Library; source: Source }) {
  const all = library.dashboard.series;
  const groups = (["in_progress", "finished", "not_started"] as const).map((status) => ({
    status,
    series: all.filter((series) => series.status === status),
  }));
  return (
    <>
      <h1>Series</h1>
      <p class="lede">
        {plural(all.length, "series", "series")}, read from titles such as “Mockingjay (The Hunger Games, #3)”. Finished means every book of the series in your library is read with no number skipped: the export does not say how long a series is.
      </p>
      {all.length === 0 && <p class="empty">No series: no title in your library names one.</p>}
      {groups.filter((group) => group.series.length > 0).map((group) => (
        <section class="section" key={group.status}>
          <h2>{STATUS[group.status]} <span class="muted">({group.series.length})</span></h2>
          <ul class="series-grid">
            {group.series.map((series) => <SeriesCard key={series.name} series={series} library={library} source={source} />)}
          </ul>
        </section>
      ))}
    </>
  );
}
