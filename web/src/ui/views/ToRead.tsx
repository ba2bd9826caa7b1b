import { toReadCharts } from "../../data/charts";
import { formatDate, formatInt, plural } from "../../data/format";
import { type Library, TO_READ_SHELF } from "../../data/library";
import { booksHref, href, type Source } from "../../router";
import { ChartFigure } from "../Chart";
import { Card, Cards } from "../common";

function age(days: number | null): string {
  if (days === null) return "–";
  if (days < 61) return plural(days, "day");
  if (days < 731) return plural(Math.round(days / 30.44), "month");
  return `${(days / 365.25).toFixed(1)} years`;
}

export function ToRead({ library, source }: { library: Library; source: Source }) {
  const pile = library.dashboard.to_read;
  if (pile === null) {
    return (
      <>
        <h1>The to-read pile</h1>
        <p class="empty">This dashboard was made before the to-read pile was part of it. <a href={booksHref(source, { filter: { shelf: TO_READ_SHELF } })}>List the to-read shelf.</a></p>
      </>
    );
  }
  const oldest = pile.oldest ? library.byId.get(pile.oldest.book_id) : undefined;
  return (
    <>
      <h1>The to-read pile</h1>
      <p class="lede">{pile.as_of ? `As of ${formatDate(pile.as_of)}, the latest date in your export.` : "Your export has no dates, so ages are unknown."}</p>
      <Cards label="The pile in figures">
        <Card label="Books waiting" value={formatInt(pile.books)} link={booksHref(source, { filter: { shelf: TO_READ_SHELF } })} />
        <Card label="Pages waiting" value={formatInt(pile.pages)} detail={pile.unknown_pages ? `${formatInt(pile.unknown_pages)} without a page count` : undefined} />
        <Card label="Median wait" value={age(pile.median_age_days)} />
        <Card label="Waiting longest" text={oldest !== undefined} value={oldest ? oldest.title : "–"} detail={oldest ? `added ${formatDate(oldest.date_added)}` : undefined}
          link={oldest ? href(source, { name: "book", bookId: oldest.book_id }) : undefined} />
      </Cards>
      {pile.books === 0 ? <p class="empty">Nothing on the to-read shelf.</p> : (
        <div class="chart-grid">
          {toReadCharts(library).map((spec, index) => <ChartFigure key={spec.id} spec={spec} source={source} eager={index < 2} />)}
        </div>
      )}
    </>
  );
}
