// Reading a dashboard.v1 document: from the page itself (the standalone file) or from a URL.
import type { Dashboard, DashboardBook, ToReadPile } from "./dashboard.v1";

export const DASHBOARD_TAG = "dashboard.v1";
export const INLINE_DATA_ID = "dashboard-data";

/** A dashboard with the fields added after v1 first shipped filled with their defaults. */
export type FullDashboard = Dashboard & {
  readonly rejected_rows: NonNullable<Dashboard["rejected_rows"]>;
  readonly warnings_count: number;
  readonly series: NonNullable<Dashboard["series"]>;
  readonly to_read: ToReadPile | null;
};

export class DashboardError extends Error {
  override name = "DashboardError";
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Checks that a parsed JSON value is a dashboard this app can show, and fills the defaulted
 * fields. The aggregator validated every field when it encoded the document; this guards
 * against a file that is not a dashboard at all, or a later version.
 */
export function normaliseDashboard(value: unknown): FullDashboard {
  if (!isObject(value)) throw new DashboardError("not a dashboard: the document is not an object");
  if (value["type"] !== DASHBOARD_TAG) {
    throw new DashboardError(
      `not a ${DASHBOARD_TAG} document (its "type" is ${JSON.stringify(value["type"] ?? null)})`,
    );
  }
  for (const field of ["books", "summary", "counts", "books_per_year", "shelves"]) {
    if (!(field in value)) throw new DashboardError(`the dashboard has no "${field}"`);
  }
  if (!Array.isArray(value["books"])) throw new DashboardError('"books" is not a list');
  const dashboard = value as unknown as Dashboard;
  return {
    ...dashboard,
    rejected_rows: dashboard.rejected_rows ?? [],
    warnings_count: dashboard.warnings_count ?? 0,
    series: dashboard.series ?? [],
    to_read: dashboard.to_read ?? null,
  };
}

export function parseDashboard(text: string): FullDashboard {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DashboardError(`the dashboard is not valid JSON (${(error as Error).message})`);
  }
  return normaliseDashboard(value);
}

/** The dashboard embedded in the page, or null when the page carries none (the served app). */
export function readInlineDashboard(doc: Document): FullDashboard | null {
  const element = doc.getElementById(INLINE_DATA_ID);
  if (element === null || element.getAttribute("type") !== "application/json") return null;
  const text = element.textContent ?? "";
  if (text.trim() === "" || text.includes("goodreads-stats:dashboard-data")) return null;
  return parseDashboard(text);
}

export type { Dashboard, DashboardBook };
