// The only URLs the pages load or link to from the data: checked again here, although the
// aggregator already keeps only https covers and numeric Goodreads ids.

/** Hosts the book processor takes covers from; the page's CSP allows images from these only. */
export const COVER_HOSTS = new Set(["covers.openlibrary.org", "books.google.com"]);
const GOODREADS_BOOK = /^https:\/\/www\.goodreads\.com\/book\/show\/\d{1,20}$/;

export function coverUrl(url: string | null): string | null {
  if (url === null) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" && COVER_HOSTS.has(parsed.hostname) && parsed.username === "" && parsed.port === ""
      ? parsed.href
      : null;
  } catch {
    return null;
  }
}

export function goodreadsUrl(url: string | null): string | null {
  return url !== null && GOODREADS_BOOK.test(url) ? url : null;
}
