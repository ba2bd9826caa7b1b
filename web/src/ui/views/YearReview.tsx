import { useMemo } from "preact/hooks";
import type { DashboardBook } from "../../data/dashboard.v1";
import { formatInt, formatRating, plural, signed, stars } from "../../data/format";
import { type Library, READ_SHELF } from "../../data/library";
import { yearReview } from "../../data/year";
import { booksHref, href, type Source } from "../../router";
import { ChartFigure } from "../Chart";
import { BookLink, Card, Cards, Cover, Section } from "../common";

function BookLine({ book, source, detail }: { book: DashboardBook; source: Source; detail: string }) {
  return (
    <li>
      <BookLink book={book} source={source} /> <span class="muted" dir="auto">by {book.author || "unknown"}</span> · {detail}
    </li>
  );
}

function YearNav({ years, year, source }: { years: readonly number[]; year: number; source: Source }) {
  const index = years.indexOf(year);
  const previous = index > 0 ? years[index - 1] : years.filter((y) => y < year).pop();
  const next = index >= 0 ? years[index + 1] : years.find((y) => y > year);
  return (
    <nav class="year-nav" aria-label="Other years">
      {previous !== undefined ? <a href={href(source, { name: "year", year: previous })} rel="prev">← {previous}</a> : <span />}
      <ul class="year-chips-list">
        {years.map((y) => (
          <li key={y}>
            <a href={href(source, { name: "year", year: y })} aria-current={y === year ? "page" : undefined}>{y}</a>
          </li>
        ))}
      </ul>
      {next !== undefined ? <a href={href(source, { name: "year", year: next })} rel="next">{next} →</a> : <span />}
    </nav>
  );
}

export function YearReviewView({ library, source, year: requested }: { library: Library; source: Source; year: number | null }) {
  const years = library.dashboard.summary.reading_years;
  const year = requested ?? years[years.length - 1] ?? null;
  const review = useMemo(() => (year === null ? null : yearReview(library, year)), [library, year]);

  if (year === null || review === null) {
    return (
      <>
        <h1>Year in review</h1>
        <p class="empty">No dated reads yet: a year in review needs books with a date read.</p>
      </>
    );
  }
  if (review.books === 0) {
    return (
      <>
        <h1>{year} in review</h1>
        <YearNav years={years} year={year} source={source} />
        <p class="empty">No books read in {year}.</p>
      </>
    );
  }
  const previous = review.previous;
  const listOfYear = booksHref(source, { filter: { shelf: READ_SHELF, year: String(year) }, sort: "date_read", dir: "asc" });
  return (
    <>
      <h1>{year} in review</h1>
      <YearNav years={years} year={year} source={source} />
      <Cards label={`${year} in figures`}>
        <Card label="Books" value={formatInt(review.books)} detail={`${signed(review.books - previous.books)} on ${previous.year}`} link={listOfYear} />
        <Card label="Pages" value={formatInt(review.pages)} detail={`${signed(review.pages - previous.pages)} on ${previous.year}`} />
        <Card label="Average rating" value={formatRating(review.averageRating)} />
        <Card label="Re-reads" value={formatInt(review.rereads)} />
        <Card label="Authors new to you" value={formatInt(review.newAuthors)} />
      </Cards>

      <div class="columns">
        <Section title="Shortest and longest">
          <ul class="plain">
            {review.shortest && <BookLine book={review.shortest} source={source} detail={plural(review.shortest.pages ?? 0, "page")} />}
            {review.longest && review.longest !== review.shortest && <BookLine book={review.longest} source={source} detail={plural(review.longest.pages ?? 0, "page")} />}
            {!review.shortest && <li class="muted">No page counts this year.</li>}
          </ul>
        </Section>
        <Section title="Highest and lowest rated">
          <ul class="plain">
            {review.highestRated.map((book) => <BookLine key={book.book_id} book={book} source={source} detail={stars(book.my_rating)} />)}
            {review.lowestRated.map((book) => <BookLine key={book.book_id} book={book} source={source} detail={stars(book.my_rating)} />)}
            {review.highestRated.length === 0 && <li class="muted">No ratings this year.</li>}
          </ul>
        </Section>
        <Section title="Top genres">
          <ol class="ranked">
            {review.topGenres.map((genre) => (
              <li key={genre.name}><a href={booksHref(source, { filter: { shelf: READ_SHELF, year: String(year), genre: genre.name } })}>{genre.name}</a> <span class="muted">{plural(genre.books, "book")}</span></li>
            ))}
            {review.topGenres.length === 0 && <li class="muted">No genres this year.</li>}
          </ol>
        </Section>
        <Section title="Top authors">
          <ol class="ranked">
            {review.topAuthors.map((author) => (
              <li key={author.name}><a dir="auto" href={booksHref(source, { filter: { shelf: READ_SHELF, year: String(year), author: author.name } })}>{author.name}</a> <span class="muted">{plural(author.books, "book")}</span></li>
            ))}
          </ol>
        </Section>
      </div>

      <Section title="Cover wall" id="cover-wall" intro={`Every book you read in ${year}, in the order you finished them.`}>
        <ul class="cover-wall">
          {review.read.map((book) => (
            <li key={book.book_id}>
              <a href={href(source, { name: "book", bookId: book.book_id })} title={book.title}>
                <Cover book={book} size="small" />
                <span class="visually-hidden">{book.title}</span>
              </a>
            </li>
          ))}
        </ul>
      </Section>

      <div class="chart-grid">
        {review.charts.map((spec) => <ChartFigure key={spec.id} spec={spec} source={source} />)}
      </div>
    </>
  );
}
