// The HTTP API (services/api/README.md), on the same origin under api/: create a job, upload
// its export with the presigned form, follow it, fetch its dashboard, delete it.
import { parseDashboard, type FullDashboard } from "./data/load";

export const API_BASE = "api";

export type ApiStatus =
  | "AWAITING_UPLOAD"
  | "UPLOADED"
  | "UPLOAD_EXPIRED"
  | "RECEIVED"
  | "QUEUED"
  | "COMPLETE"
  | "PARTIAL"
  | "FAILED";

export interface UploadForm {
  readonly method: "POST";
  readonly url: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly file_field: string;
  readonly content_type: string;
  readonly max_bytes: number;
  readonly expires_at: string;
}

export interface CreatedJob {
  readonly job_id: string;
  readonly status: ApiStatus;
  readonly delete_token: string;
  readonly upload: UploadForm;
}

export interface JobView {
  readonly job_id: string;
  readonly status: ApiStatus;
  readonly progress: { readonly succeeded: number; readonly failed: number; readonly total: number; readonly enriched?: number };
  readonly rejected: number;
  readonly missing: number;
  readonly warnings_count: number;
  readonly error: string | null;
  readonly created_at: string | null;
  readonly finished_at: string | null;
  readonly upload_expires_at: string | null;
}

export const FINISHED: ReadonlySet<ApiStatus> = new Set(["COMPLETE", "PARTIAL"]);

/** The API answered with an error: its status, its code when the function wrote one. */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly status: number,
    readonly code: string | null,
    message: string,
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
  }
}

/** No answer at all: the network or the service is down. Worth retrying. */
export class NetworkError extends Error {
  override name = "NetworkError";
}

async function errorOf(response: Response): Promise<ApiError> {
  let code: string | null = null;
  let message = `HTTP ${response.status}`;
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string }; message?: string };
    // The function's shape, or API Gateway's own ({"message": …}) for throttling and timeouts.
    code = body.error?.code ?? null;
    message = body.error?.message ?? body.message ?? message;
  } catch {
    // not JSON: keep the status
  }
  const retryAfter = Number(response.headers.get("Retry-After"));
  return new ApiError(response.status, code, message, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null);
}

async function call(method: string, path: string, token?: string): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (token) headers["Authorization"] = `Bearer ${token}`;
  try {
    return await fetch(`${API_BASE}${path}`, { method, headers, cache: "no-store", credentials: "omit" });
  } catch (error) {
    throw new NetworkError(`the service did not answer (${(error as Error).message})`);
  }
}

export async function createJob(): Promise<CreatedJob> {
  const response = await call("POST", "/jobs");
  if (response.status !== 201) throw await errorOf(response);
  return (await response.json()) as CreatedJob;
}

export async function getJob(jobId: string): Promise<JobView> {
  const response = await call("GET", `/jobs/${jobId}`);
  if (!response.ok) throw await errorOf(response);
  return (await response.json()) as JobView;
}

/** The dashboard of a finished job (a 303 to a presigned link is followed by fetch). */
export async function getDashboard(jobId: string): Promise<FullDashboard> {
  const response = await call("GET", `/jobs/${jobId}/dashboard`);
  if (response.status !== 200) throw await errorOf(response);
  return parseDashboard(await response.text());
}

/** Deletes a job; a 404 means it is already gone, which is what was asked. */
export async function deleteJob(jobId: string, token: string): Promise<void> {
  const response = await call("DELETE", `/jobs/${jobId}`, token);
  if (response.status === 204 || response.status === 404) return;
  throw await errorOf(response);
}

export class UploadError extends Error {
  override name = "UploadError";
}

/** What S3 says in its XML error body, as text only. */
function s3Message(xml: string, status: number): string {
  const document = new DOMParser().parseFromString(xml, "application/xml");
  const code = document.querySelector("Error > Code")?.textContent;
  const message = document.querySelector("Error > Message")?.textContent;
  return code ? `${code}: ${message ?? ""}`.trim() : `HTTP ${status}`;
}

/**
 * The presigned form POST of the file (every field first, the file last, as S3 requires),
 * reporting the bytes sent. XMLHttpRequest, because fetch reports no upload progress.
 */
export function uploadFile(form: UploadForm, file: File, onProgress: (sent: number, total: number) => void): Promise<void> {
  const body = new FormData();
  for (const [name, value] of Object.entries(form.fields)) body.append(name, value);
  body.append(form.file_field, new Blob([file], { type: form.content_type }), file.name);
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open(form.method, form.url);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded, event.total);
    });
    request.addEventListener("load", () => {
      if (request.status >= 200 && request.status < 300) resolve();
      else reject(new UploadError(`the upload was refused (${s3Message(request.responseText, request.status)})`));
    });
    request.addEventListener("error", () => reject(new UploadError("the upload could not reach the storage service")));
    request.addEventListener("timeout", () => reject(new UploadError("the upload timed out")));
    request.send(body);
  });
}
