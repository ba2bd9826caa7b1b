// One chart: a <figure> with its title, a sentence that says what it shows, the chart drawn by
// Chart.js on a canvas, and its data as a table on request (each row links to the same list a
// click on the chart opens, so the keyboard reaches everything the mouse does).
import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  DoughnutController,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import { MatrixController, MatrixElement } from "chartjs-chart-matrix";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { AnyChartSpec, ChartSpec, HeatmapSpec } from "../data/charts";
import type { BookFilter } from "../data/filters";
import { formatInt, formatRating, monthName } from "../data/format";
import { booksHref, navigate, type Source } from "../router";
import { mix, type Palette, readPalette, useColorScheme } from "./theme";

Chart.register(
  ArcElement, BarController, BarElement, CategoryScale, DoughnutController, Legend, LinearScale,
  LineController, LineElement, PointElement, Tooltip, MatrixController, MatrixElement,
);

// Charts on the page by id, for automation and debugging: window.goodreadsStats.chart(id)
// gives a chart's labels, values and the on-screen centre of each point.
const live = new Map<string, Chart>();
declare global {
  interface Window {
    goodreadsStats?: { chart(id: string): ChartInspection | null; charts(): string[] };
  }
}
export interface ChartInspection {
  readonly labels: string[];
  readonly values: number[];
  /** The first series' colour, as drawn (it follows the colour scheme). */
  readonly colour: string;
  centre(index: number): { x: number; y: number } | null;
}
if (typeof window !== "undefined") {
  window.goodreadsStats = {
    charts: () => [...live.keys()],
    chart(id) {
      const chart = live.get(id);
      if (!chart) return null;
      const data = chart.data.datasets[0]?.data ?? [];
      return {
        labels: chart.data.labels?.length
          ? (chart.data.labels as string[])
          : data.map((item) => `${(item as Cell).x} ${(item as Cell).y}`),
        values: data.map((item) => (typeof item === "number" ? item : (item as Cell).v)),
        colour: String(chart.data.datasets[0]?.borderColor ?? ""),
        centre(index) {
          const element = chart.getDatasetMeta(0).data[index];
          if (!element) return null;
          // The middle of the bar, slice or cell (every element Chart.js draws has one).
          const { x, y } = (element as unknown as { getCenterPoint(useFinal: boolean): { x: number; y: number } }).getCenterPoint(true);
          const box = chart.canvas.getBoundingClientRect();
          return { x: box.left + (x ?? 0), y: box.top + (y ?? 0) };
        },
      };
    },
  };
}

export const FIRST_CHART_MARK = "goodreads-stats:first-chart";

interface Cell {
  x: string;
  y: string;
  v: number;
  pages: number;
  filter: BookFilter;
}

const HBAR_ROW_PX = 26;

function height(spec: AnyChartSpec): number {
  if (spec.kind === "hbar") return Math.max(140, spec.points.length * HBAR_ROW_PX + 50);
  if (spec.kind === "heatmap") return Math.max(140, spec.years.length * 26 + 60);
  if (spec.kind === "doughnut") return 240;
  return 260;
}

function formatValue(spec: AnyChartSpec, value: number): string {
  return spec.unit === "average rating" ? formatRating(value) : formatInt(value);
}

function configuration(spec: AnyChartSpec, palette: Palette, open: (filter: BookFilter) => void): ChartConfiguration {
  const base = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false as const,
    color: palette.text,
    font: { family: "system-ui, sans-serif" },
    plugins: {
      legend: { display: spec.kind === "doughnut", position: "bottom" as const, labels: { color: palette.text } },
      tooltip: { enabled: true },
    },
    onHover: (event: { native: Event | null }, elements: unknown[]) => {
      const target = event.native?.target;
      if (target instanceof HTMLCanvasElement) target.style.cursor = elements.length ? "pointer" : "default";
    },
  };
  const axes = (indexAxis: "x" | "y") => ({
    [indexAxis === "x" ? "x" : "y"]: { ticks: { color: palette.muted, autoSkip: true }, grid: { display: false } },
    [indexAxis === "x" ? "y" : "x"]: { beginAtZero: true, ticks: { color: palette.muted, precision: 0 }, grid: { color: palette.grid } },
  });

  if (spec.kind === "heatmap") {
    return heatmapConfiguration(spec, palette, open, base);
  }
  const points = spec.points;
  const clicked = (_: unknown, elements: { index: number }[]) => {
    const filter = elements[0] ? points[elements[0].index]?.filter : null;
    if (filter) open(filter);
  };
  const data = {
    labels: points.map((point) => point.label),
    datasets: [
      {
        label: spec.unit,
        data: points.map((point) => point.value),
        backgroundColor: spec.kind === "doughnut" ? points.map((_, index) => palette.series[index % palette.series.length]!) : palette.series[0]!,
        borderColor: spec.kind === "doughnut" ? palette.surface : palette.series[0]!,
        borderWidth: spec.kind === "line" ? 2 : 1,
        pointRadius: 4,
        pointHoverRadius: 6,
        borderRadius: spec.kind === "doughnut" ? 0 : 3,
      },
    ],
  };
  switch (spec.kind) {
    case "doughnut":
      return { type: "doughnut", data, options: { ...base, onClick: clicked, cutout: "55%" } } as ChartConfiguration;
    case "line":
      return {
        type: "line",
        data,
        options: {
          ...base,
          onClick: clicked,
          scales: {
            x: { ticks: { color: palette.muted }, grid: { display: false } },
            y: { min: 0, max: 5, ticks: { color: palette.muted, stepSize: 1 }, grid: { color: palette.grid } },
          },
        },
      } as ChartConfiguration;
    case "hbar":
      return { type: "bar", data, options: { ...base, onClick: clicked, indexAxis: "y", scales: axes("y") } } as ChartConfiguration;
    case "bar":
      return { type: "bar", data, options: { ...base, onClick: clicked, scales: axes("x") } } as ChartConfiguration;
  }
}

function heatmapConfiguration(
  spec: HeatmapSpec,
  palette: Palette,
  open: (filter: BookFilter) => void,
  base: object,
): ChartConfiguration {
  const months = Array.from({ length: 12 }, (_, index) => monthName(index + 1));
  const years = spec.years.map(String);
  const most = Math.max(1, ...spec.cells.map((cell) => cell.books));
  const cells: Cell[] = spec.cells.map((cell) => ({
    x: monthName(cell.month),
    y: String(cell.year),
    v: cell.books,
    pages: cell.pages,
    filter: cell.filter,
  }));
  return {
    type: "matrix",
    data: {
      datasets: [
        {
          label: "books",
          data: cells,
          backgroundColor: (context: { raw?: unknown }) => mix(palette.heatLow, palette.heatHigh, ((context.raw as Cell | undefined)?.v ?? 0) / most),
          borderColor: palette.surface,
          borderWidth: 1,
          width: ({ chart }: { chart: Chart }) => (chart.chartArea?.width ?? 0) / 12 - 2,
          height: ({ chart }: { chart: Chart }) => (chart.chartArea?.height ?? 0) / Math.max(1, years.length) - 2,
        },
      ],
    },
    options: {
      ...base,
      onClick: (_: unknown, elements: { index: number }[]) => {
        const cell = elements[0] ? cells[elements[0].index] : undefined;
        if (cell) open(cell.filter);
      },
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            title: () => "",
            label: (context: { raw: unknown }) => {
              const cell = context.raw as Cell;
              return `${cell.x} ${cell.y}: ${formatInt(cell.v)} books, ${formatInt(cell.pages)} pages`;
            },
          },
        },
      },
      scales: {
        x: { type: "category", labels: months, offset: true, ticks: { color: palette.muted }, grid: { display: false } },
        y: { type: "category", labels: years, offset: true, reverse: false, ticks: { color: palette.muted }, grid: { display: false } },
      },
    },
  } as unknown as ChartConfiguration;
}

function DataTable({ spec, source, id }: { spec: AnyChartSpec; source: Source; id: string }) {
  const rows =
    spec.kind === "heatmap"
      ? spec.cells.map((cell) => ({ label: `${monthName(cell.month)} ${cell.year}`, value: cell.books, extra: cell.pages, filter: cell.filter as BookFilter | null }))
      : spec.points.map((point) => ({ label: point.label, value: point.value, extra: null as number | null, filter: point.filter }));
  return (
    <table id={id} class="data-table" data-chart-table={spec.id}>
      <caption class="visually-hidden">{spec.title}</caption>
      <thead>
        <tr>
          <th scope="col">{spec.kind === "heatmap" ? "month" : "label"}</th>
          <th scope="col" class="num">{spec.unit}</th>
          {spec.kind === "heatmap" && <th scope="col" class="num">pages</th>}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.label}>
            <th scope="row">{row.filter ? <a href={booksHref(source, { filter: row.filter })}>{row.label}</a> : row.label}</th>
            <td class="num">{formatValue(spec, row.value)}</td>
            {row.extra !== null && <td class="num">{formatInt(row.extra)}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function isEmpty(spec: AnyChartSpec): boolean {
  return spec.kind === "heatmap" ? spec.cells.length === 0 : spec.points.every((point) => point.value === 0);
}

/**
 * Whether a figure is near the window. Charts further down are drawn when they come within
 * 400 px of it (or before printing): a view with a dozen charts shows its first at once
 * instead of laying out every canvas before the first paint.
 */
function useNearWindow(element: { current: HTMLElement | null }, eager: boolean): boolean {
  const [near, setNear] = useState(eager);
  useEffect(() => {
    if (near || element.current === null) return;
    if (typeof IntersectionObserver !== "function") {
      setNear(true);
      return;
    }
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) setNear(true);
      },
      { rootMargin: "400px 0px" },
    );
    observer.observe(element.current);
    const beforePrint = () => setNear(true);
    window.addEventListener("beforeprint", beforePrint);
    return () => {
      observer.disconnect();
      window.removeEventListener("beforeprint", beforePrint);
    };
  }, [near]);
  return near;
}

export function ChartFigure({ spec, source, wide = false, eager = false }: { spec: AnyChartSpec; source: Source; wide?: boolean; eager?: boolean }) {
  const figure = useRef<HTMLElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const scheme = useColorScheme();
  const [showTable, setShowTable] = useState(false);
  const empty = isEmpty(spec);
  const near = useNearWindow(figure, eager);
  const tableId = `table-${spec.id}`;

  // Drawn in the same frame as the view (or as the figure comes near): never an empty box.
  useLayoutEffect(() => {
    if (empty || !near || !canvas.current) return;
    const open = (filter: BookFilter) => navigate(booksHref(source, { filter }));
    const chart = new Chart(canvas.current, configuration(spec, readPalette(), open));
    live.set(spec.id, chart);
    // User Timing for the benchmark (benchmarks/web_bench.py): when the first chart is drawn.
    if (performance.getEntriesByName(FIRST_CHART_MARK).length === 0) performance.mark(FIRST_CHART_MARK);
    return () => {
      live.delete(spec.id);
      chart.destroy();
    };
  }, [spec, scheme, empty, near]);

  return (
    <figure ref={figure} class={`chart${wide ? " wide" : ""}`} data-chart={spec.id} aria-labelledby={`title-${spec.id}`}>
      <figcaption>
        <h3 id={`title-${spec.id}`}>{spec.title}</h3>
        <p class="description">{spec.description}</p>
      </figcaption>
      {empty ? (
        <p class="empty">{spec.empty}</p>
      ) : (
        <>
          <div class="chart-box" style={{ height: `${height(spec)}px` }}>
            <canvas ref={canvas} role="img" aria-label={`${spec.title}. ${spec.description}`} />
          </div>
          <button type="button" class="link-button" aria-expanded={showTable} aria-controls={tableId} onClick={() => setShowTable(!showTable)}>
            {showTable ? "Hide the data" : "Show the data as a table"}
          </button>
          {showTable && <DataTable spec={spec} source={source} id={tableId} />}
        </>
      )}
    </figure>
  );
}

export type { ChartSpec };
