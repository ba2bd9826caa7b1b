// The delete token of each job this browser uploaded, kept only here (localStorage): the API
// stores only its hash and shows it once. A job deleted from here is remembered as deleted.

const PREFIX = "goodreads-stats:job:";

export interface JobKey {
  readonly token: string | null;
  readonly deleted: boolean;
}

function storage(): Storage | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    return null; // storage blocked by the browser's settings
  }
}

export function rememberToken(jobId: string, token: string): void {
  storage()?.setItem(PREFIX + jobId, JSON.stringify({ token, deleted: false }));
}

export function rememberDeleted(jobId: string): void {
  storage()?.setItem(PREFIX + jobId, JSON.stringify({ token: null, deleted: true }));
}

export function jobKey(jobId: string): JobKey {
  const raw = storage()?.getItem(PREFIX + jobId);
  if (!raw) return { token: null, deleted: false };
  try {
    const value = JSON.parse(raw) as Partial<JobKey>;
    return { token: typeof value.token === "string" ? value.token : null, deleted: value.deleted === true };
  } catch {
    return { token: null, deleted: false };
  }
}
