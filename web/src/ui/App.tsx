// The app: the route from the location hash, the dashboard it shows, and the frame around the
// views (navigation, the PARTIAL banner, the footer).
import type { ComponentChildren } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { buildLibrary, type Library } from "../data/library";
import { type FullDashboard, parseDashboard } from "../data/load";
import { formatInstant, formatInt, plural } from "../data/format";
import { href, parseHash, type Route, type Source, type View } from "../router";
import { BookDetail } from "./views/BookDetail";
import { Books } from "./views/Books";
import { Genres } from "./views/Genres";
import { Overview } from "./views/Overview";
import { Quality } from "./views/Quality";
import { SeriesView } from "./views/Series";
import { ToRead } from "./views/ToRead";
import { YearReviewView } from "./views/YearReview";

export const SAMPLE_URL = "sample/dashboard.json";
export const VIEW_MARK = "goodreads-stats:view";

type Loaded = { state: "loading" } | { state: "error"; message: string } | { state: "ready"; library: Library };

function useRoute(inline: boolean): Route {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const update = () => setHash(location.hash);
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return useMemo(() => parseHash(hash, inline), [hash, inline]);
}

function sourceKey(source: Source): string {
  return source.kind === "job" ? `job:${source.jobId}` : source.kind;
}

async function fetchDashboard(source: Source): Promise<FullDashboard> {
  if (source.kind === "inline") throw new Error("an inline dashboard is not fetched");
  const url = source.kind === "sample" ? SAMPLE_URL : `api/jobs/${source.jobId}/dashboard`;
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`the dashboard could not be loaded (HTTP ${response.status})`);
  return parseDashboard(await response.text());
}

/** The dashboard of a source: the page's own, or fetched once per source. */
function useLibrary(source: Source | null, inline: FullDashboard | null): Loaded | null {
  const [loaded, setLoaded] = useState<Record<string, Loaded>>({});
  const inlineLibrary = useMemo(() => (inline ? buildLibrary(inline) : null), [inline]);
  const key = source ? sourceKey(source) : null;
  useEffect(() => {
    if (source === null || key === null || source.kind === "inline" || loaded[key]) return;
    setLoaded((all) => ({ ...all, [key]: { state: "loading" } }));
    fetchDashboard(source).then(
      (dashboard) => setLoaded((all) => ({ ...all, [key]: { state: "ready", library: buildLibrary(dashboard) } })),
      (error: Error) => setLoaded((all) => ({ ...all, [key]: { state: "error", message: error.message } })),
    );
  }, [key]);
  if (source === null || key === null) return null;
  if (source.kind === "inline") return inlineLibrary ? { state: "ready", library: inlineLibrary } : { state: "error", message: "this page carries no dashboard" };
  return loaded[key] ?? { state: "loading" };
}

const NAV: readonly { view: View; label: string }[] = [
  { view: { name: "overview" }, label: "Overview" },
  { view: { name: "year", year: null }, label: "Year in review" },
  { view: { name: "books", query: { filter: {}, sort: "export", dir: "asc" } }, label: "Books" },
  { view: { name: "genres" }, label: "Genres" },
  { view: { name: "series" }, label: "Series" },
  { view: { name: "to-read" }, label: "To read" },
  { view: { name: "quality" }, label: "Data quality" },
];

const TITLES: Record<View["name"], string> = {
  overview: "Overview",
  year: "Year in review",
  books: "Books",
  book: "Book",
  genres: "Genres",
  series: "Series",
  "to-read": "To read",
  quality: "Data quality",
};

function Frame({ source, view, library, children }: { source: Source | null; view: View | null; library: Library | null; children: ComponentChildren }) {
  const main = useRef<HTMLElement>(null);
  const viewName = view?.name ?? null;
  const dashboard = library?.dashboard;
  const first = useRef(true);
  useEffect(() => {
    // A new view (not a new filter of the same one) starts at the top, with focus on it; the
    // first view leaves focus at the start of the page, as any page load does.
    window.scrollTo(0, 0);
    if (!first.current) main.current?.focus({ preventScroll: true });
    first.current = false;
    document.title = `${viewName ? TITLES[viewName] : "goodreads-stats"} · goodreads-stats`;
    // User Timing for the benchmark: a view (and its charts: children's effects ran first) is up.
    performance.mark(VIEW_MARK, { detail: viewName });
  }, [viewName, view?.name === "book" ? view.bookId : view?.name === "year" ? view.year : null]);
  return (
    <>
      <a class="skip-link" href="#main" onClick={(event) => { event.preventDefault(); main.current?.focus(); }}>Skip to the content</a>
      <header class="top">
        <a class="brand" href={source ? href(source, { name: "overview" }) : "#/"}>goodreads-stats</a>
        {source && (
          <nav aria-label="Dashboard">
            <ul>
              {NAV.map((item) => (
                <li key={item.label}>
                  <a href={href(source, item.view)} aria-current={viewName === item.view.name ? "page" : undefined}>{item.label}</a>
                </li>
              ))}
            </ul>
          </nav>
        )}
      </header>
      {dashboard?.status === "PARTIAL" && source && (
        <div class="banner partial" role="status">
          <strong>This dashboard is partial.</strong> {plural(dashboard.counts.missing, "book")} of {formatInt(dashboard.counts.total)} had no result by the job's deadline; they count in your figures with what the export says, without enrichment.{" "}
          <a href={href(source, { name: "quality" })}>See data quality</a>
        </div>
      )}
      <main id="main" ref={main} tabIndex={-1}>{children}</main>
      <footer class="bottom">
        {dashboard ? (
          <p>
            Made by goodreads-stats from a Goodreads export · generated {formatInstant(dashboard.generated_at)}
            {source?.kind === "sample" && " · the sample dashboard (a CC0 export)"}
          </p>
        ) : <p>goodreads-stats</p>}
      </footer>
    </>
  );
}

function DashboardView({ view, library, source }: { view: View; library: Library; source: Source }) {
  switch (view.name) {
    case "overview":
      return <Overview library={library} source={source} />;
    case "year":
      return <YearReviewView library={library} source={source} year={view.year} />;
    case "books":
      return <Books library={library} source={source} query={view.query} />;
    case "book":
      return <BookDetail library={library} source={source} bookId={view.bookId} />;
    case "genres":
      return <Genres library={library} source={source} />;
    case "series":
      return <SeriesView library={library} source={source} />;
    case "to-read":
      return <ToRead library={library} source={source} />;
    case "quality":
      return <Quality library={library} source={source} />;
  }
}

export function Home() {
  return (
    <>
      <h1>Your Goodreads library, as reading stats</h1>
      <p class="lede">Books and pages per year, ratings against the community, authors, genres, series, the to-read pile and a year in review, from the library export Goodreads gives you.</p>
      <p><a class="button" href="#/sample">Open the sample dashboard</a></p>
    </>
  );
}

export function App({ inline }: { inline: FullDashboard | null }) {
  const route = useRoute(inline !== null);
  const source = route.page === "dashboard" ? route.source : null;
  const loaded = useLibrary(source, inline);
  const library = loaded?.state === "ready" ? loaded.library : null;

  let content: ComponentChildren;
  if (route.page === "home") content = <Home />;
  else if (route.page === "not-found") {
    content = (
      <>
        <h1>Nothing here</h1>
        <p class="empty">This address is not a page of the dashboard. <a href={inline ? "#/" : "#/"}>Go to the start.</a></p>
      </>
    );
  } else if (loaded?.state === "error") {
    content = (
      <>
        <h1>The dashboard could not be shown</h1>
        <p class="empty" role="alert">{loaded.message}.</p>
      </>
    );
  } else if (library === null) content = <p class="loading" role="status">Loading the dashboard…</p>;
  else content = <DashboardView view={route.view} library={library} source={route.source} />;

  return (
    <Frame source={source} view={route.page === "dashboard" ? route.view : null} library={library}>
      {content}
    </Frame>
  );
}
