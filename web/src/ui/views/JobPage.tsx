// A job's page (#/jobs/{id}/…): follows the job until its dashboard exists, then shows it.
// The URL is all it needs, so closing the tab and coming back, or reloading, resumes here.
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, FINISHED, getDashboard, getJob, type JobView, NetworkError } from "../../api";
import { buildLibrary, type Library } from "../../data/library";
import { formatInt, formatPercent, plural } from "../../data/format";
import { formatDuration, PaceEstimator, pollDelayMs, retryDelayMs } from "../../data/progress";
import { jobKey } from "../../data/tokens";

export type JobState =
  | { readonly state: "loading" }
  | { readonly state: "running"; readonly job: JobView; readonly secondsLeft: number | null }
  | { readonly state: "failed"; readonly job: JobView }
  | { readonly state: "expired"; readonly job: JobView }
  | { readonly state: "gone"; readonly deletedHere: boolean }
  | { readonly state: "ready"; readonly job: JobView; readonly library: Library }
  | { readonly state: "error"; readonly message: string };

/** Polls the job with backoff until it ends; network failures are retried and said so. */
export function useJob(jobId: string): { job: JobState; retrying: { attempt: number; seconds: number } | null } {
  const [job, setJob] = useState<JobState>({ state: "loading" });
  const [retrying, setRetrying] = useState<{ attempt: number; seconds: number } | null>(null);
  const pace = useRef(new PaceEstimator());

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let polls = 0;
    let failures = 0;
    pace.current = new PaceEstimator();
    if (jobKey(jobId).deleted) {
      setJob({ state: "gone", deletedHere: true });
      return;
    }
    const later = (delay: number) => {
      if (!stopped) timer = setTimeout(step, delay);
    };
    async function step() {
      try {
        const view = await getJob(jobId);
        failures = 0;
        setRetrying(null);
        if (FINISHED.has(view.status)) {
          const dashboard = await getDashboard(jobId);
          if (!stopped) setJob({ state: "ready", job: view, library: buildLibrary(dashboard) });
          return;
        }
        if (view.status === "FAILED") return setJob({ state: "failed", job: view });
        if (view.status === "UPLOAD_EXPIRED") return setJob({ state: "expired", job: view });
        const done = view.progress.succeeded + view.progress.failed;
        pace.current.add(performance.now(), done);
        setJob({ state: "running", job: view, secondsLeft: pace.current.secondsLeft(view.progress.total) });
        later(pollDelayMs(polls++));
      } catch (error) {
        if (stopped) return;
        if (error instanceof ApiError && error.status === 404) return setJob({ state: "gone", deletedHere: false });
        if (error instanceof NetworkError || (error instanceof ApiError && (error.status >= 500 || error.status === 429))) {
          const delay = error instanceof ApiError && error.retryAfterSeconds ? error.retryAfterSeconds * 1000 : retryDelayMs(failures);
          failures += 1;
          setRetrying({ attempt: failures, seconds: Math.round(delay / 1000) });
          return later(delay);
        }
        setJob({ state: "error", message: (error as Error).message });
      }
    }
    void step();
    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [jobId]);
  return { job, retrying };
}

const STATUS_TEXT: Record<string, string> = {
  AWAITING_UPLOAD: "Waiting for your file",
  UPLOADED: "File received, about to start",
  RECEIVED: "Reading your export",
  QUEUED: "Looking up your books",
};

function Retrying({ retrying }: { retrying: { attempt: number; seconds: number } | null }) {
  if (!retrying) return null;
  return (
    <p class="banner retrying" role="status">
      The service is not answering; trying again in {retrying.seconds} s (attempt {retrying.attempt}). Your job goes on meanwhile.
    </p>
  );
}

export function JobGate({ jobId, children }: { jobId: string; children: (library: Library) => ComponentChildren }) {
  const { job, retrying } = useJob(jobId);
  switch (job.state) {
    case "ready":
      return <>{children(job.library)}</>;
    case "loading":
      return (
        <>
          <Retrying retrying={retrying} />
          <p class="loading" role="status">Loading your job…</p>
        </>
      );
    case "gone":
      return (
        <>
          <h1>{job.deletedHere ? "This dashboard was deleted" : "No dashboard here"}</h1>
          <p class="empty">
            {job.deletedHere
              ? "You deleted this job and its data from this browser. Nothing of it is kept."
              : "This job was deleted, or its address is wrong. Jobs and their data are kept for 30 days."}{" "}
            <a href="#/">Upload an export</a>
          </p>
        </>
      );
    case "failed":
      return (
        <>
          <h1>Your export could not be read</h1>
          <p class="error" role="alert">{job.job.error ?? "The job failed."}</p>
          <p><a class="button" href="#/">Upload another file</a></p>
        </>
      );
    case "expired":
      return (
        <>
          <h1>The upload did not arrive</h1>
          <p class="empty">Nothing was received before the upload form expired. <a href="#/">Start again</a></p>
        </>
      );
    case "error":
      return (
        <>
          <h1>The job could not be shown</h1>
          <p class="error" role="alert">{job.message}</p>
        </>
      );
    case "running": {
      const { progress } = job.job;
      const done = progress.succeeded + progress.failed;
      return (
        <>
          <Retrying retrying={retrying} />
          <h1>Making your dashboard</h1>
          <div class="job-progress" role="status" aria-live="polite">
            <p class="job-status">{STATUS_TEXT[job.job.status] ?? job.job.status}</p>
            {progress.total > 0 ? (
              <>
                <progress max={progress.total} value={done} aria-label="Books done" />
                <p>
                  <strong data-testid="books-done">{formatInt(done)}</strong> of <strong data-testid="books-total">{formatInt(progress.total)}</strong> books
                  done ({formatPercent(done / progress.total)})
                  {progress.enriched !== undefined && <>, {formatInt(progress.enriched)} enriched so far</>}
                  {progress.failed > 0 && <>, {plural(progress.failed, "lookup")} failed</>}.
                </p>
                <p class="muted">{job.secondsLeft === null ? "Estimating the time left…" : `About ${formatDuration(job.secondsLeft)} left.`}</p>
              </>
            ) : (
              <progress aria-label="Starting" />
            )}
            {job.job.rejected > 0 && <p class="muted">{plural(job.job.rejected, "row")} of your export could not become books; the dashboard says why.</p>}
          </div>
          <p class="muted">You can close this page: the job goes on, and this address shows it again.</p>
        </>
      );
    }
  }
}
