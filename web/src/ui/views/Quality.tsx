import { enrichmentStatus } from "../../data/charts";
import type { DashboardBook } from "../../data/dashboard.v1";
import { formatInt, plural } from "../../data/format";
import type { Library } from "../../data/library";
import { booksHref, type Source } from "../../router";
import { ChartFigure } from "../Chart";
import { BookLink, Card, Cards, Section, STATUS_TEXT, StatusBadge } from "../common";

interface ReasonGroup {
  readonly status: DashboardBook["enrichment"];
  readonly reason: string;
  readonly books: DashboardBook[];
}

function notEnriched(library: Library): ReasonGroup[] {
  const groups = new Map<string, ReasonGroup>();
  for (const book of library.books) {
    if (book.enrichment === "enriched") continue;
    const reason = book.enrichment_reason ?? "no reason recorded";
    const key = `${book.enrichment}\u0000${reason}`;
    const group = groups.get(key) ?? { status: book.enrichment, reason, books: [] };
    group.books.push(book);
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => b.books.length - a.books.length || a.reason.localeCompare(b.reason));
}

export function Quality({ library, source }: { library: Library; source: Source }) {
  const { dashboard } = library;
  const counts = dashboard.counts;
  const groups = notEnriched(library);
  return (
    <>
      <h1>Data quality</h1>
      <p class="lede">What happened to every row of your export: each book is enriched, not enriched with a reason, or missing; rows that could not become books are rejected with a reason.</p>
      <Cards label="Accounting">
        <Card label="Books" value={formatInt(counts.total)} link={booksHref(source, {})} />
        <Card label="Enriched" value={formatInt(counts.enriched)} link={booksHref(source, { filter: { status: "enriched" } })} />
        <Card label="Not enriched" value={formatInt(counts.not_enriched)} />
        <Card label="Missing" value={formatInt(counts.missing)} detail="no result by the deadline" link={counts.missing ? booksHref(source, { filter: { status: "missing" } }) : undefined} />
        <Card label="Rejected rows" value={formatInt(counts.rejected)} />
        <Card label="Row warnings" value={formatInt(dashboard.warnings_count)} detail="values the parser corrected or dropped" />
      </Cards>
      <div class="chart-grid"><ChartFigure spec={enrichmentStatus(library)} source={source} eager /></div>

      <Section title="Books not enriched" id="not-enriched">
        {groups.length === 0 ? <p class="muted">Every book was enriched.</p> : (
          <ul class="reason-list">
            {groups.map((group) => (
              <li key={`${group.status}-${group.reason}`}>
                <details>
                  <summary><StatusBadge status={group.status} /> <span dir="auto">{group.reason}</span> <span class="muted">({plural(group.books.length, "book")})</span></summary>
                  <ul class="plain">
                    {group.books.slice(0, 200).map((book) => <li key={book.book_id}><BookLink book={book} source={source} /></li>)}
                  </ul>
                  {group.books.length > 200 && (
                    <p><a href={booksHref(source, { filter: { status: group.status } })}>All {plural(group.books.length, "book")} {STATUS_TEXT[group.status]}</a></p>
                  )}
                </details>
              </li>
            ))}
          </ul>
        )}
      </Section>

      <Section title="Rejected rows" id="rejected">
        {dashboard.rejected_rows.length === 0 ? <p class="muted">No row was rejected.</p> : (
          <div class="table-scroll">
            <table class="rejected">
              <thead><tr><th scope="col" class="num">Row</th><th scope="col">Reason</th></tr></thead>
              <tbody>
                {dashboard.rejected_rows.map((row) => (
                  <tr key={row.row_number}><td class="num">{formatInt(row.row_number)}</td><td dir="auto">{row.reason}</td></tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
    </>
  );
}
