// Above a job's dashboard: its share link, and (in the browser that uploaded it) the delete.
import { useState } from "preact/hooks";
import { ApiError, deleteJob, NetworkError } from "../api";
import { jobKey, rememberDeleted } from "../data/tokens";
import { navigate } from "../router";

function shareUrl(jobId: string): string {
  return `${location.origin}${location.pathname}#/jobs/${jobId}`;
}

function Share({ jobId }: { jobId: string }) {
  const [copied, setCopied] = useState<"no" | "yes" | "failed">("no");
  const url = shareUrl(jobId);
  return (
    <div class="share">
      <label for="share-url">Share this dashboard</label>
      <div class="share-row">
        <input id="share-url" type="text" readOnly value={url} onFocus={(event) => (event.target as HTMLInputElement).select()} />
        <button
          type="button"
          class="button secondary"
          onClick={() =>
            navigator.clipboard.writeText(url).then(
              () => setCopied("yes"),
              () => setCopied("failed"),
            )
          }
        >
          Copy link
        </button>
      </div>
      <p class="muted" role="status">
        {copied === "yes" ? "Copied. " : copied === "failed" ? "Could not copy: select the link and copy it. " : ""}
        Anyone with this link can see this dashboard.
      </p>
    </div>
  );
}

function Delete({ jobId, token }: { jobId: string; token: string }) {
  const [step, setStep] = useState<"closed" | "confirm" | "deleting">("closed");
  const [problem, setProblem] = useState<string | null>(null);
  async function remove() {
    setStep("deleting");
    setProblem(null);
    try {
      await deleteJob(jobId, token);
      rememberDeleted(jobId);
      navigate(`#/jobs/${jobId}`, { replace: true });
      window.location.reload();
    } catch (error) {
      setStep("confirm");
      if (error instanceof ApiError && error.status === 409) {
        setProblem(`The job is still running; try again${error.retryAfterSeconds ? ` in ${error.retryAfterSeconds} s` : " shortly"}.`);
      } else if (error instanceof ApiError && error.status === 403) {
        setProblem("This browser's key does not match this job: it cannot delete it.");
      } else if (error instanceof NetworkError) {
        setProblem("The service cannot be reached right now; nothing was deleted yet. Try again.");
      } else {
        setProblem((error as Error).message);
      }
    }
  }
  if (step === "closed") {
    return (
      <button type="button" class="button danger" onClick={() => setStep("confirm")}>
        Delete my data
      </button>
    );
  }
  return (
    <div class="confirm-delete" role="group" aria-labelledby="delete-title">
      <p id="delete-title">
        <strong>Delete this dashboard and your uploaded export?</strong> This cannot be undone; the link stops working for everyone.
      </p>
      {problem && <p class="error" role="alert">{problem}</p>}
      <button type="button" class="button danger" disabled={step === "deleting"} onClick={() => void remove()}>
        {step === "deleting" ? "Deleting…" : "Yes, delete it"}
      </button>{" "}
      <button type="button" class="button secondary" disabled={step === "deleting"} onClick={() => setStep("closed")}>
        Keep it
      </button>
    </div>
  );
}

export function JobTools({ jobId }: { jobId: string }) {
  const { token } = jobKey(jobId);
  return (
    <aside class="job-tools" aria-label="Share or delete">
      <Share jobId={jobId} />
      {token && <Delete jobId={jobId} token={token} />}
    </aside>
  );
}
