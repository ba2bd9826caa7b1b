import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DashboardError, normaliseDashboard, parseDashboard } from "../src/data/load";
import { dashboard } from "./fixtures";

describe("reading a dashboard", () => {
  test("fields added after v1 first shipped get their defaults", () => {
    const { series, to_read, rejected_rows, warnings_count, ...older } = dashboard();
    void [series, to_read, rejected_rows, warnings_count];
    const read = normaliseDashboard(older);
    assert.deepEqual([read.series, read.to_read, read.rejected_rows, read.warnings_count], [[], null, [], 0]);
  });

  test("a document that is not a dashboard.v1 is refused with a reason", () => {
    assert.throws(() => parseDashboard("{"), (error) => error instanceof DashboardError && /not valid JSON/.test(error.message));
    assert.throws(() => parseDashboard("[]"), /not an object/);
    assert.throws(() => parseDashboard('{"type": "dashboard.v2"}'), /not a dashboard.v1 document \(its "type" is "dashboard.v2"\)/);
    assert.throws(() => parseDashboard('{"type": "dashboard.v1"}'), /has no "books"/);
  });
});
