// Numbers, dates and plurals as the pages show them (English, the reader's locale for digits).
const integer = new Intl.NumberFormat("en", { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat("en", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const percent = new Intl.NumberFormat("en", { style: "percent", maximumFractionDigits: 1 });
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export const formatInt = (value: number): string => integer.format(value);
export const formatRating = (value: number | null): string => (value === null ? "–" : decimal.format(value));
export const formatPercent = (value: number): string => percent.format(value);

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${formatInt(count)} ${count === 1 ? one : many}`;
}

export function monthName(month: number): string {
  return MONTHS[month - 1] ?? String(month);
}

/** "2024-03-05" as "5 Mar 2024"; the date is a calendar date, not an instant. */
export function formatDate(date: string | null): string {
  if (date === null) return "–";
  const [year, month, day] = date.split("-").map(Number);
  if (!year || !month || !day) return date;
  return `${day} ${monthName(month)} ${year}`;
}

export function formatYear(year: number): string {
  return year < 0 ? `${-year} BCE` : String(year);
}

export function stars(rating: number | null): string {
  return rating === null ? "unrated" : `${"★".repeat(rating)}${"☆".repeat(Math.max(0, 5 - rating))}`;
}

/** "+12", "−3", "±0": a change against the previous year. */
export function signed(value: number): string {
  if (value === 0) return "±0";
  return value > 0 ? `+${formatInt(value)}` : `−${formatInt(-value)}`;
}

/** An instant as "14 Mar 2026, 09:42 UTC". */
export function formatInstant(iso: string): string {
  const moment = new Date(iso);
  if (Number.isNaN(moment.getTime())) return iso;
  const time = `${String(moment.getUTCHours()).padStart(2, "0")}:${String(moment.getUTCMinutes()).padStart(2, "0")}`;
  return `${moment.getUTCDate()} ${monthName(moment.getUTCMonth() + 1)} ${moment.getUTCFullYear()}, ${time} UTC`;
}
