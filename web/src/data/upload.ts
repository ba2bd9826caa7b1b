// What the upload page checks about a file before any request, with the orchestrator's own
// rules (services/orchestrator/export_format.py) and the API's size limit (contracts/storage.py):
// a file that would fail there is refused here, with the same reason, without uploading it.

/** The API's limit (contracts/storage.py MAX_UPLOAD_BYTES): 50 MiB, as the orchestrator's. */
export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;
/** Columns a Goodreads export has and the orchestrator cannot do without (export_format.py). */
export const REQUIRED_COLUMNS = ["Book Id", "Title", "Author", "Exclusive Shelf"] as const;
/** How much of the file's start is read to find its first line. */
export const HEADER_PROBE_BYTES = 64 * 1024;

const REEXPORT = "Export your library again from Goodreads (My Books, then Import and export) and upload that file.";

export type FileCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export function formatMegabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}

/** The name and size, before the file is read at all. */
export function checkFileShape(name: string, size: number): FileCheck {
  if (!/\.csv$/i.test(name)) {
    return { ok: false, reason: `“${name}” is not a CSV file. Goodreads exports your library as goodreads_library_export.csv. ${REEXPORT}` };
  }
  if (size === 0) return { ok: false, reason: "The file is empty." };
  if (size > MAX_UPLOAD_BYTES) {
    return { ok: false, reason: `The file is ${formatMegabytes(size)}; the largest export this service takes is ${formatMegabytes(MAX_UPLOAD_BYTES)}.` };
  }
  return { ok: true };
}

/** The first CSV record of `text` as field values (quotes honoured, a BOM dropped). */
export function firstRecord(text: string): string[] {
  const source = text.replace(/^\uFEFF/, "");
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let index = 0; index < source.length; index += 1) {
    const char = source[index]!;
    if (quoted) {
      if (char === '"' && source[index + 1] === '"') {
        field += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"' && field === "") quoted = true;
    else if (char === ",") {
      fields.push(field);
      field = "";
    } else if (char === "\n" || char === "\r") break;
    else field += char;
  }
  fields.push(field);
  return fields;
}

/** Whether the first line is a Goodreads export's header; the reason names what is missing. */
export function checkHeader(text: string): FileCheck {
  const names = firstRecord(text).map((name) => name.trim());
  if (names.length === 1) {
    for (const [separator, label] of [[";", "semicolons"], ["\t", "tabs"]] as const) {
      if (names[0]!.includes(separator)) {
        return {
          ok: false,
          reason: `The file separates values with ${label}, not commas, so it is not a Goodreads CSV export (a spreadsheet may have re-saved it). Upload the original export, or save it as 'CSV UTF-8 (comma delimited)'.`,
        };
      }
    }
    return { ok: false, reason: `The file does not look like a CSV file: its first line has no commas. ${REEXPORT}` };
  }
  const missing = REQUIRED_COLUMNS.filter((name) => !names.includes(name));
  if (missing.length > 0) {
    return {
      ok: false,
      reason: `The file is missing required columns: ${missing.join(", ")}. A Goodreads library export has them in its first line. ${REEXPORT}`,
    };
  }
  return { ok: true };
}

/** Every check, reading only the start of the file. */
export async function checkFile(file: File): Promise<FileCheck> {
  const shape = checkFileShape(file.name, file.size);
  if (!shape.ok) return shape;
  const start = await file.slice(0, HEADER_PROBE_BYTES).text();
  return checkHeader(start);
}
