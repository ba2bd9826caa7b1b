import { overviewCharts } from "../../data/charts";
import { formatInt, formatPercent, formatRating, plural } from "../../data/format";
import { abandonedCount, ABANDONED_SHELVES, type Library, READ_SHELF, TO_READ_SHELF } from "../../data/library";
import { booksHref, href, type Source } from "../../router";
import { ChartFigure } from "../Chart";
import { BookLink, Card, Cards, Section } from "../common";

export function Overview({ library, source }: { library: Library; source: Source }) {
  const { dashboard } = library;
  const summary = dashboard.summary;
  const years = summary.reading_years;
  const comparison = dashboard.rating_vs_community;
  const abandoned = abandonedCount(library);
  const abandonedShelf = dashboard.shelves.find((shelf) => shelf.exclusive && ABANDONED_SHELVES.has(shelf.shelf) && shelf.books > 0);
  const toRead = dashboard.shelves.find((shelf) => shelf.shelf === TO_READ_SHELF)?.books ?? 0;
  const charts = overviewCharts(library);
  const longest = dashboard.longest_book ? library.byId.get(dashboard.longest_book.book_id) : undefined;
  const shortest = dashboard.shortest_book ? library.byId.get(dashboard.shortest_book.book_id) : undefined;

  return (
    <>
      <h1>Your reading</h1>
      <p class="lede">
        {plural(dashboard.counts.total, "book")} in your library, {formatInt(summary.books_read)} read
        {years.length > 0 ? `, from ${years[0]} to ${years[years.length - 1]}` : ""}.
      </p>
      <Cards label="Headline figures">
        <Card label="Books read" value={formatInt(summary.books_read)} link={booksHref(source, { filter: { shelf: READ_SHELF } })}
          detail={summary.undated_read_books ? `${formatInt(summary.undated_read_books)} without a date` : undefined} />
        <Card label="Pages read" value={formatInt(summary.pages_read)} />
        <Card label="Your average rating" value={formatRating(summary.average_rating)}
          detail={comparison.community_average !== null ? `community ${formatRating(comparison.community_average)} on the same books` : `${plural(summary.rated_count, "rated book")}`} />
        <Card label="Authors" value={formatInt(summary.unique_authors)} detail="read at least once" />
        <Card label="Reading years" value={formatInt(years.length)}
          detail={years.length ? `${years[0]}–${years[years.length - 1]}` : undefined}
          link={years.length ? href(source, { name: "year", year: years[years.length - 1]! }) : undefined} />
        <Card label="Re-reads" value={formatInt(summary.reread_books)} detail={`${plural(summary.total_reads, "read")} in all`}
          link={booksHref(source, { filter: { shelf: READ_SHELF, reread: "yes" } })} />
        <Card label="Did not finish" value={formatInt(abandoned)} detail="abandoned or DNF shelves"
          link={abandonedShelf ? booksHref(source, { filter: { shelf: abandonedShelf.shelf } }) : undefined} />
        <Card label="Enrichment" value={formatPercent(summary.enrichment_coverage)}
          detail={`${formatInt(dashboard.counts.enriched)} of ${formatInt(dashboard.counts.total)} books`} link={href(source, { name: "quality" })} />
        <Card label="To read" value={formatInt(toRead)} link={href(source, { name: "to-read" })} />
      </Cards>

      {years.length > 0 && (
        <nav class="year-chips" aria-label="Years in review">
          <span>Year in review:</span>
          <ul>
            {[...years].reverse().map((year) => (
              <li key={year}><a href={href(source, { name: "year", year })}>{year}</a></li>
            ))}
          </ul>
        </nav>
      )}

      {(longest || shortest) && (
        <Cards label="Longest and shortest">
          {longest && <li class="card"><div><span class="card-label">Longest book read</span><BookLink book={longest} source={source} /><span class="card-detail">{plural(dashboard.longest_book!.pages, "page")}</span></div></li>}
          {shortest && <li class="card"><div><span class="card-label">Shortest book read</span><BookLink book={shortest} source={source} /><span class="card-detail">{plural(dashboard.shortest_book!.pages, "page")}</span></div></li>}
        </Cards>
      )}

      <Section title="Charts" id="charts" intro="Select a bar, a cell or a slice to list its books.">
        <div class="chart-grid">
          {charts.map((spec, index) => (
            <ChartFigure key={spec.id} spec={spec} source={source} wide={spec.kind === "heatmap"} eager={index < 2} />
          ))}
        </div>
      </Section>
    </>
  );
}
