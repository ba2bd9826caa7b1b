// The app: the route from the location hash, the dashboard it shows, and the frame around the
// views (navigation, the PARTIAL banner, the footer).
import type { ComponentChildren } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { buildLibrary, type Library } from "../data/library";
import { type FullDashboard, parseDashboard } from "../data/load";
import { formatInstant, formatInt, plural } from "../data/format";
import { href, parseHash, type Route, type Source, sourceBase, type View } from "../router";
import { JobTools } from "./JobTools";
import { BookDetail } from "./views/BookDetail";
import { Books } from "./views/Books";
import { Genres } from "./views/Genres";
import { Home } from "./views/Home";
import { JobGate } from "./views/JobPage";
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

async function fetchSample(): Promise<FullDashboard> {
  const response = await fetch(SAMPLE_URL, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`the sample dashboard could not be loaded (HTTP ${response.status})`);
  return parseDashboard(await response.text());
}

/** The dashboard of the page itself, or the sample's (fetched once); jobs have their gate. */
function useLibrary(source: Source | null, inline: FullDashboard | null): Loaded | null {
  const [sample, setSample] = useState<Loaded>({ state: "loading" });
  const inlineLibrary = useMemo(() => (inline ? buildLibrary(inline) : null), [inline]);
  const wantsSample = source?.kind === "sample";
  useEffect(() => {
    if (!wantsSample || sample.state !== "loading") return;
    fetchSample().then(
      (dashboard) => setSample({ state: "ready", library: buildLibrary(dashboard) }),
      (error: Error) => setSample({ state: "error", message: error.message }),
    );
  }, [wantsSample]);
  if (source === null || source.kind === "job") return null;
  if (source.kind === "sample") return sample;
  return inlineLibrary ? { state: "ready", library: inlineLibrary } : { state: "error", message: "this page carries no dashboard" };
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

function Frame({ source, view, children }: { source: Source | null; view: View | null; children: ComponentChildren }) {
  const main = useRef<HTMLElement>(null);
  const viewName = view?.name ?? null;
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
  }, [viewName, view?.name === "book" ? view.bookId : view?.name === "year" ? view.year : null, source ? sourceBase(source) : null]);
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
      <main id="main" ref={main} tabIndex={-1}>{children}</main>
      <footer class="bottom">
        <p>goodreads-stats: reading stats from a Goodreads export{source?.kind !== "inline" && <> · <a href="#/">upload an export</a></>}</p>
      </footer>
    </>
  );
}

/** A dashboard's views, with what every view of it shows: the PARTIAL banner, when it was made,
 * and for a job, its share link and delete button. */
function DashboardPage({ view, library, source }: { view: View; library: Library; source: Source }) {
  const dashboard = library.dashboard;
  return (
    <>
      {dashboard.status === "PARTIAL" && (
        <div class="banner partial" role="status">
          <strong>This dashboard is partial.</strong> {plural(dashboard.counts.missing, "book")} of {formatInt(dashboard.counts.total)} had no result by the job's deadline; they count in your figures with what the export says, without enrichment.{" "}
          <a href={href(source, { name: "quality" })}>See data quality</a>
        </div>
      )}
      {source.kind === "job" && view.name === "overview" && <JobTools jobId={source.jobId} />}
      <DashboardView view={view} library={library} source={source} />
      <p class="generated muted">
        Generated {formatInstant(dashboard.generated_at)}
        {source.kind === "sample" && " · the sample dashboard, from a public (CC0) Goodreads export"}
      </p>
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

export function App({ inline }: { inline: FullDashboard | null }) {
  const route = useRoute(inline !== null);
  const source = route.page === "dashboard" ? route.source : null;
  const loaded = useLibrary(source, inline);

  let content: ComponentChildren;
  if (route.page === "home") content = <Home />;
  else if (route.page === "not-found") {
    content = (
      <>
        <h1>Nothing here</h1>
        <p class="empty">This address is not a page of goodreads-stats. <a href="#/">Go to the start.</a></p>
      </>
    );
  } else if (route.source.kind === "job") {
    const { view, source: job } = route;
    content = <JobGate jobId={job.jobId}>{(library) => <DashboardPage view={view} library={library} source={job} />}</JobGate>;
  } else if (loaded?.state === "error") {
    content = (
      <>
        <h1>The dashboard could not be shown</h1>
        <p class="empty" role="alert">{loaded.message}.</p>
      </>
    );
  } else if (loaded?.state === "ready") content = <DashboardPage view={route.view} library={loaded.library} source={route.source} />;
  else content = <p class="loading" role="status">Loading the dashboard…</p>;

  return (
    <Frame source={source} view={route.page === "dashboard" ? route.view : null}>
      {content}
    </Frame>
  );
}
