// Hash routes: every view has a URL of its own that can be shared and that the back button
// returns to. The fragment never reaches a server (nor a Referer), which matters for job ids.
import { type BookQuery, parseQuery, queryToParams } from "./data/filters";

export type Source = { readonly kind: "inline" } | { readonly kind: "sample" } | { readonly kind: "job"; readonly jobId: string };

export type View =
  | { readonly name: "overview" }
  | { readonly name: "year"; readonly year: number | null }
  | { readonly name: "books"; readonly query: BookQuery }
  | { readonly name: "book"; readonly bookId: string }
  | { readonly name: "genres" }
  | { readonly name: "series" }
  | { readonly name: "to-read" }
  | { readonly name: "quality" };

export type Route =
  | { readonly page: "home" }
  | { readonly page: "dashboard"; readonly source: Source; readonly view: View }
  | { readonly page: "not-found"; readonly path: string };

const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function sourceBase(source: Source): string {
  switch (source.kind) {
    case "inline":
      return "";
    case "sample":
      return "/sample";
    case "job":
      return `/jobs/${source.jobId}`;
  }
}

function parseView(segments: string[], params: URLSearchParams): View | null {
  const [name, argument, ...rest] = segments;
  if (rest.length > 0) return null;
  switch (name ?? "") {
    case "":
      return argument === undefined ? { name: "overview" } : null;
    case "year": {
      if (argument === undefined) return { name: "year", year: null };
      return /^-?\d{1,4}$/.test(argument) ? { name: "year", year: Number(argument) } : null;
    }
    case "books":
      return argument === undefined ? { name: "books", query: parseQuery(params) } : null;
    case "book":
      return argument ? { name: "book", bookId: argument } : null;
    case "genres":
    case "series":
    case "to-read":
    case "quality":
      return argument === undefined ? ({ name } as View) : null;
    default:
      return null;
  }
}

/** The route of a location hash ("#/books?genre=Fantasy"); `inline` says the page has data. */
export function parseHash(hash: string, inline: boolean): Route {
  const raw = hash.replace(/^#/, "");
  const [pathPart = "", queryPart = ""] = raw.split("?", 2);
  const params = new URLSearchParams(queryPart);
  let segments: string[];
  try {
    segments = pathPart.split("/").filter(Boolean).map(decodeURIComponent);
  } catch {
    return { page: "not-found", path: pathPart };
  }
  const notFound: Route = { page: "not-found", path: pathPart };
  if (inline) {
    const view = parseView(segments, params);
    return view ? { page: "dashboard", source: { kind: "inline" }, view } : notFound;
  }
  if (segments.length === 0) return { page: "home" };
  if (segments[0] === "sample") {
    const view = parseView(segments.slice(1), params);
    return view ? { page: "dashboard", source: { kind: "sample" }, view } : notFound;
  }
  if (segments[0] === "jobs" && segments[1] !== undefined && JOB_ID.test(segments[1])) {
    const view = parseView(segments.slice(2), params);
    return view ? { page: "dashboard", source: { kind: "job", jobId: segments[1] }, view } : notFound;
  }
  return notFound;
}

export function viewPath(view: View): string {
  switch (view.name) {
    case "overview":
      return "/";
    case "year":
      return view.year === null ? "/year" : `/year/${view.year}`;
    case "books": {
      const params = queryToParams(view.query).toString();
      return params ? `/books?${params}` : "/books";
    }
    case "book":
      return `/book/${encodeURIComponent(view.bookId)}`;
    default:
      return `/${view.name}`;
  }
}

/** The href of a view of a dashboard. */
export function href(source: Source, view: View): string {
  const path = viewPath(view);
  const base = sourceBase(source);
  return `#${base === "" ? path : path === "/" ? base : base + path}`;
}

export function booksHref(source: Source, query: Partial<BookQuery>): string {
  return href(source, { name: "books", query: { filter: {}, sort: "export", dir: "asc", ...query } });
}

/** Moves to a location hash; `replace` rewrites the current history entry instead. */
export function navigate(target: string, { replace = false } = {}): void {
  if (replace) {
    history.replaceState(history.state, "", target);
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  } else {
    location.hash = target.replace(/^#/, "");
  }
}
