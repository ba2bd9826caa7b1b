// The start of the served app: drop or pick the export, checked here before any request;
// then a job, the upload with its progress, and the job's page.
import { useRef, useState } from "preact/hooks";
import { createJob, NetworkError, uploadFile } from "../../api";
import { formatPercent } from "../../data/format";
import { rememberToken } from "../../data/tokens";
import { checkFile, formatMegabytes, MAX_UPLOAD_BYTES } from "../../data/upload";
import { navigate } from "../../router";

type State =
  | { readonly step: "idle" }
  | { readonly step: "checking"; readonly name: string }
  | { readonly step: "refused"; readonly reason: string }
  | { readonly step: "uploading"; readonly name: string; readonly sent: number; readonly total: number }
  | { readonly step: "failed"; readonly reason: string };

export function Home() {
  const [state, setState] = useState<State>({ step: "idle" });
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const busy = state.step === "checking" || state.step === "uploading";

  async function start(file: File) {
    setState({ step: "checking", name: file.name });
    const check = await checkFile(file);
    if (!check.ok) {
      setState({ step: "refused", reason: check.reason });
      return;
    }
    try {
      const job = await createJob();
      rememberToken(job.job_id, job.delete_token);
      setState({ step: "uploading", name: file.name, sent: 0, total: file.size });
      await uploadFile(job.upload, file, (sent, total) => setState({ step: "uploading", name: file.name, sent, total }));
      navigate(`#/jobs/${job.job_id}`);
    } catch (error) {
      const reason = error instanceof NetworkError ? "The service cannot be reached right now." : (error as Error).message;
      setState({ step: "failed", reason: `${reason} Nothing was kept; try again.` });
    }
  }

  const chosen = (files: FileList | null) => {
    const file = files?.[0];
    if (file && !busy) void start(file);
  };

  return (
    <>
      <h1>Your Goodreads library, as reading stats</h1>
      <p class="lede">
        Books and pages per year, ratings against the community, authors, genres, series, the to-read pile and a year in
        review, from the library export Goodreads gives you. Every book is looked up in Open Library and Google Books.
      </p>
      <section
        class={`dropzone${dragging ? " dragging" : ""}`}
        aria-labelledby="upload-title"
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(event) => {
          event.preventDefault();
          setDragging(false);
          chosen(event.dataTransfer?.files ?? null);
        }}
      >
        <h2 id="upload-title">Upload your export</h2>
        <p>Drop <code>goodreads_library_export.csv</code> here, or</p>
        <p>
          <button type="button" class="button" disabled={busy} onClick={() => input.current?.click()}>
            Choose the file
          </button>
          <input
            ref={input}
            id="export-file"
            class="visually-hidden"
            tabIndex={-1}
            aria-label="Your Goodreads export (a CSV file)"
            type="file"
            accept=".csv,text/csv"
            disabled={busy}
            onChange={(event) => {
              chosen((event.target as HTMLInputElement).files);
              (event.target as HTMLInputElement).value = "";
            }}
          />
        </p>
        <p class="muted">A CSV file of up to {formatMegabytes(MAX_UPLOAD_BYTES)}. It is checked here first; nothing is sent until it looks like a Goodreads export.</p>
        {state.step === "checking" && <p role="status">Checking {state.name}…</p>}
        {state.step === "uploading" && (
          <div role="status" class="upload-progress">
            <p>Uploading {state.name}: {formatPercent(state.total ? state.sent / state.total : 0)}</p>
            <progress max={state.total || 1} value={state.sent} aria-label="Upload progress" />
          </div>
        )}
        {(state.step === "refused" || state.step === "failed") && (
          <p class="error" role="alert">{state.reason}</p>
        )}
      </section>

      <section class="section">
        <h2>No export yet?</h2>
        <p><a class="button secondary" href="#/sample">Open the sample dashboard</a> <span class="muted">made from a public (CC0) export.</span></p>
        <h3>How to export your library from Goodreads</h3>
        <ol>
          <li>Sign in at goodreads.com and open <strong>My Books</strong>.</li>
          <li>In the left column, under <strong>Tools</strong>, choose <strong>Import and export</strong>.</li>
          <li>Select <strong>Export Library</strong> and wait for the link to appear (a large library takes a few minutes).</li>
          <li>Download <code>goodreads_library_export.csv</code> and upload it here, unchanged.</li>
        </ol>
      </section>

      <section class="section">
        <h2>What happens to your file</h2>
        <p>
          Your export is processed on its own and kept for up to 30 days. Your dashboard has an address that cannot be
          guessed: anyone you give it to can see it, nobody else. This browser keeps the key that deletes it; delete it
          whenever you like from the dashboard.
        </p>
      </section>
    </>
  );
}
