import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDuration, PaceEstimator, pollDelayMs, retryDelayMs } from "../src/data/progress";

test("polls back off from 1 s to 5 s, retries from 2 s to 30 s", () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5].map(pollDelayMs), [1000, 1500, 2250, 3375, 5000, 5000]);
  assert.deepEqual([0, 1, 2, 3, 4, 5].map(retryDelayMs), [2000, 4000, 8000, 16000, 30000, 30000]);
});

test("the time left follows the recent pace, and is unknown before any progress", () => {
  const pace = new PaceEstimator(60_000);
  pace.add(0, 0);
  assert.equal(pace.secondsLeft(100), null);
  pace.add(10_000, 20); // 2 books a second
  assert.equal(pace.secondsLeft(100), 40);
  pace.add(100_000, 40); // the first sample has left the window: 20 books in 90 s
  assert.equal(pace.secondsLeft(100), 270);
});

test("durations read as a person would say them", () => {
  assert.equal(formatDuration(45), "45 s");
  assert.equal(formatDuration(150), "3 min");
  assert.equal(formatDuration(3 * 3600 + 20 * 60), "3 h 20 min");
});
