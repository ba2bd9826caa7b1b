// Following a job: how long to wait before asking again, and how long is left.

/** Delay before poll number `attempt` (0-based): 1 s, growing by half each time, at most 5 s. */
export function pollDelayMs(attempt: number): number {
  return Math.min(5000, Math.round(1000 * 1.5 ** attempt));
}

/** Delay before retry number `attempt` after a network failure: 2 s doubling, at most 30 s. */
export function retryDelayMs(attempt: number): number {
  return Math.min(30_000, 2000 * 2 ** attempt);
}

interface Sample {
  readonly at: number; // ms
  readonly done: number;
}

/**
 * The time left from the recent pace: books done per second over the last minute of samples.
 * Null until the job has made progress over at least two samples.
 */
export class PaceEstimator {
  private samples: Sample[] = [];

  constructor(private readonly windowMs = 60_000) {}

  add(at: number, done: number): void {
    this.samples.push({ at, done });
    const oldest = at - this.windowMs;
    while (this.samples.length > 2 && this.samples[0]!.at < oldest) this.samples.shift();
  }

  secondsLeft(total: number): number | null {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.done <= first.done || last.at <= first.at) return null;
    const perSecond = ((last.done - first.done) * 1000) / (last.at - first.at);
    return Math.max(0, Math.ceil((total - last.done) / perSecond));
  }
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
