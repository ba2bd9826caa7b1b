import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { type ChartSpec, overviewCharts, toReadCharts } from "../src/data/charts";
import { applyFilter } from "../src/data/filters";
import { buildLibrary, type Library } from "../src/data/library";
import { normaliseDashboard } from "../src/data/load";
import { dashboard } from "./fixtures";

// Charts whose values are book counts: each point's list must hold exactly that many books.
function assertEveryPointOpensItsBooks(library: Library, specs: ChartSpec[]) {
  for (const spec of specs) {
    if (spec.unit !== "books") continue;
    for (const point of spec.points) {
      assert.ok(point.filter, `${spec.id} ${point.label} opens no list`);
      assert.equal(applyFilter(library, point.filter).length, point.value, `${spec.id}: ${point.label}`);
    }
  }
}

const golden = (name: string) =>
  normaliseDashboard(JSON.parse(readFileSync(fileURLToPath(new URL(`../../contracts/golden/${name}`, import.meta.url)), "utf8")));

describe("overview charts", () => {
  const library = buildLibrary(dashboard());
  const specs = overviewCharts(library);

  test("there are thirteen, each with a title and a description", () => {
    assert.equal(specs.length, 13);
    for (const spec of specs) {
      assert.ok(spec.title.length > 0);
      assert.ok(spec.description.length > 0, spec.id);
    }
  });

  test("each count chart shows the dashboard's own figures", () => {
    const byId = Object.fromEntries(specs.map((spec) => [spec.id, spec]));
    const values = (id: string) => (byId[id] as ChartSpec).points.map((point) => [point.label, point.value]);
    assert.deepEqual(values("books-per-year"), [["2021", 2], ["2022", 2], ["2023", 1]]);
    assert.deepEqual(values("pages-per-year"), [["2021", 733], ["2022", 984], ["2023", 99]]);
    assert.deepEqual(values("ratings"), [["1 ★", 0], ["2 ★", 1], ["3 ★", 1], ["4 ★", 2], ["5 ★", 1], ["unrated", 1]]);
    assert.deepEqual(values("rating-vs-community"), [["you rated higher", 1], ["about the same", 2], ["you rated lower", 2]]);
    assert.deepEqual(values("fiction-split"), [["fiction", 3], ["nonfiction", 1], ["unknown", 2]]);
    assert.deepEqual(values("enrichment"), [["enriched", 5], ["not found", 1], ["failed", 1], ["missing", 1]]);
    assert.deepEqual(values("rating-per-year"), [["2021", 4.5], ["2022", 2.5], ["2023", 4]]);
  });

  test("every point of a count chart opens a list of exactly its books", () => {
    assertEveryPointOpensItsBooks(library, specs.filter((spec): spec is ChartSpec => spec.kind !== "heatmap"));
    assertEveryPointOpensItsBooks(library, toReadCharts(library));
  });

  test("every heatmap cell opens the books read that month", () => {
    const heatmap = specs.find((spec) => spec.kind === "heatmap");
    assert.ok(heatmap && heatmap.kind === "heatmap");
    assert.deepEqual(heatmap.years, [2021, 2022, 2023]);
    for (const cell of heatmap.cells) assert.equal(applyFilter(library, cell.filter).length, cell.books);
  });

  test("undated reads are said to be in no year", () => {
    assert.match(specs[0]!.description, /1 read book without a date read is in no year/);
  });
});

describe("an empty library", () => {
  test("has charts with nothing to draw and sentences that say so", () => {
    const empty = golden("dashboard.v1.minimal.json");
    const library = buildLibrary({ ...empty, books: [] });
    for (const spec of overviewCharts(library)) {
      if (spec.kind === "heatmap") assert.equal(spec.cells.length, 0);
      else assert.ok(spec.points.every((point) => point.value === 0) || spec.id === "shelves", spec.id);
    }
  });
});
