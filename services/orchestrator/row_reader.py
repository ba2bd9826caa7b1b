"""The fast path: data rows into books, a chunk of rows at a time, column by column.

Written for speed, since it runs over files of up to 100,000 rows (the orchestrator's
throughput target is a third of a bare `csv.reader` pass): a chunk is transposed into columns,
most columns are cleaned by C-level string operations over the whole column, and values that
repeat (dates, counts, shelves, publishers) are parsed once per distinct text by the column
readers. Only rows with a problem take a slower path, which also writes their warning.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Iterable, Sequence

from contracts.books import Book, make_book_id
from contracts.messages import RejectedRow, RowWarning
from services.orchestrator.column_readers import BULK_READERS, CACHED_READERS
from services.orchestrator.diagnosis import (
    ExportRejected,
    FieldCountMismatch,
    missing_columns_message,
)
from services.orchestrator.export_format import (
    FIELD_LIMITS,
    HEADER_VARIANTS,
    REQUIRED_COLUMNS,
    show,
    too_long,
)
from services.orchestrator.isbn import (
    is_valid_isbn13,
    isbn10_to_isbn13,
    strip_formulas,
    valid_isbn10s,
    valid_isbn13s,
)


class Columns:
    """Where each known column is in this file's header; None for a column the file lacks."""

    def __init__(self, header: list[str]) -> None:
        self.names = [name.strip() for name in header]
        self.count = len(self.names)
        index: dict[str, int] = {}
        for position, name in enumerate(self.names):
            index.setdefault(name, position)
        self.variant = HEADER_VARIANTS.get(tuple(self.names), "custom")
        missing = [name for name in REQUIRED_COLUMNS if name not in index]
        if missing:
            raise ExportRejected(missing_columns_message(self.names, missing))
        self.index = index

    def get(self, name: str) -> int | None:
        return self.index.get(name)


class BookReader:
    """Turns chunks of data rows into books; collects rejected rows and warnings.

    Written for speed, since it runs over files of up to 100,000 rows: a chunk is transposed
    into columns, most columns are cleaned by C-level string operations over the whole column,
    and values that repeat (dates, counts, shelves, publishers) are parsed once per distinct
    text. Only rows with a problem take a slower path, which also writes their warning.
    """

    def __init__(self, columns: Columns) -> None:
        self.books: list[Book] = []
        self.rejected: list[RejectedRow] = []
        self.warnings: list[RowWarning] = []
        self.row_count = 0
        self._columns = columns
        self._seen_ids: set[str] = set()
        self._first_row_of_goodreads_id: dict[str, int] = {}
        self._title_position = columns.index["Title"]
        self._caches: dict[str, dict[str, object]] = {name: {} for name in CACHED_READERS}

    def warn(self, row_number: int, column: str, message: str) -> None:
        self.warnings.append(RowWarning(row_number=row_number, column=column, message=message))

    def add_chunk(self, chunk: list[list[str]]) -> None:
        if not all(chunk):
            chunk = [row for row in chunk if row]  # blank lines are not rows
        first_row_number = self.row_count + 1
        self.row_count += len(chunk)
        if not chunk:
            return
        expected = self._columns.count
        if set(map(len, chunk)) != {expected}:
            offset, row = next((i, r) for i, r in enumerate(chunk) if len(r) != expected)
            header_line = [cell.strip() for cell in row[:2]] == ["Book Id", "Title"]
            raise FieldCountMismatch(first_row_number + offset, len(row), header_line=header_line)
        row_numbers: Sequence[int] = range(first_row_number, first_row_number + len(chunk))

        titles = _collapse_whitespace(map(operator.itemgetter(self._title_position), chunk))
        headers = self._header_lines(chunk, titles)
        if "" in titles or headers:  # a row without a title, or a header, cannot be a book
            kept = [i for i, title in enumerate(titles) if title and i not in headers]
            self.rejected.extend(
                RejectedRow(
                    row_number=row_numbers[i], reason=_HEADER_LINE if i in headers else _NO_TITLE
                )
                for i in sorted(set(range(len(chunk))) - set(kept))
            )
            chunk = [chunk[i] for i in kept]
            titles = [titles[i] for i in kept]
            row_numbers = [row_numbers[i] for i in kept]
            if not chunk:
                return
        self._add_books(chunk, row_numbers, titles)

    def _header_lines(self, chunk: list[list[str]], titles: list[str]) -> set[int]:
        """Rows that repeat the header's Book Id, Title and Author names: the header line of
        a second export joined to the first (a C-level scan finds none in the usual chunk)."""
        title_name = self._columns.names[self._title_position]
        if title_name not in titles:
            return set()
        positions = [self._columns.index[name] for name in _HEADER_MARKS]
        marks = [self._columns.names[position] for position in positions]
        return {
            i
            for i, title in enumerate(titles)
            if title == title_name
            and [chunk[i][position].strip() for position in positions] == marks
        }

    def _add_books(
        self, chunk: list[list[str]], row_numbers: Sequence[int], titles: list[str]
    ) -> None:
        count = len(chunk)
        by_position = list(zip(*chunk, strict=True))
        absent = ("",) * count

        def column(name: str) -> Sequence[str]:
            position = self._columns.get(name)
            return absent if position is None else by_position[position]

        titles = self._cut_long(row_numbers, "Title", titles)
        goodreads_ids, book_ids = self._identities(row_numbers, column("Book Id"))
        isbn10s, isbn13s = self._isbns(row_numbers, column("ISBN"), column("ISBN13"))
        reviews = self._reviews(row_numbers, column("My Review"))
        cached = {
            name: self._cached_column(name, column(name), row_numbers) for name in CACHED_READERS
        }
        append = self.books.append
        for (
            row_number,
            goodreads_id,
            book_id,
            title,
            author,
            additional_authors,
            isbn10,
            isbn13,
            my_rating,
            average_rating,
            publisher,
            binding,
            pages,
            year_published,
            original_year,
            date_read,
            date_added,
            bookshelves,
            shelf,
            review,
            spoiler,
            read_count,
            owned_copies,
        ) in zip(
            row_numbers,
            goodreads_ids,
            book_ids,
            titles,
            cached["Author"],
            cached["Additional Authors"],
            isbn10s,
            isbn13s,
            cached["My Rating"],
            cached["Average Rating"],
            cached["Publisher"],
            cached["Binding"],
            cached["Number of Pages"],
            cached["Year Published"],
            cached["Original Publication Year"],
            cached["Date Read"],
            cached["Date Added"],
            cached["Bookshelves"],
            cached["Exclusive Shelf"],
            reviews,
            cached["Spoiler"],
            cached["Read Count"],
            cached["Owned Copies"],
            strict=True,
        ):
            append(
                Book(
                    book_id=book_id,
                    row_number=row_number,
                    goodreads_id=goodreads_id,
                    title=title,
                    author=author,
                    additional_authors=additional_authors,
                    isbn10=isbn10,
                    isbn13=isbn13,
                    my_rating=my_rating,
                    average_rating=average_rating,
                    publisher=publisher,
                    binding=binding,
                    pages=pages,
                    year_published=year_published,
                    original_publication_year=original_year,
                    date_read=date_read,
                    date_added=date_added,
                    bookshelves=bookshelves,
                    exclusive_shelf=shelf,
                    review_html=review,
                    spoiler=spoiler,
                    read_count=read_count,
                    owned_copies=owned_copies,
                )
            )

    def _cut_long(self, row_numbers: Sequence[int], column: str, values: list[str]) -> list[str]:
        limit = FIELD_LIMITS[column]
        if max(map(len, values)) <= limit:
            return values
        cut = []
        for row_number, value in zip(row_numbers, values, strict=True):
            if len(value) > limit:
                self.warn(row_number, column, too_long(column))
                value = value[:limit].rstrip()
            cut.append(value)
        return cut

    def _cached_column(
        self, name: str, texts: Sequence[str], row_numbers: Sequence[int]
    ) -> list[object]:
        bulk = BULK_READERS.get(name)
        if bulk is not None:
            values = bulk(texts)
            if values is not None:  # every value was clean
                return values
        # Each distinct text is read once per file; clean results are kept for later chunks.
        cache = self._caches[name]
        try:
            return list(map(cache.__getitem__, texts))  # after the first chunks, the usual case
        except KeyError:
            new_texts = set(texts).difference(cache)
        read = CACHED_READERS[name]
        problems: dict[str, tuple[object, str]] = {}
        for text in new_texts:
            value, problem = read(name, text)
            if problem is None:
                cache[text] = value
            else:  # not cached: every row with this text gets its warning
                problems[text] = (value, problem)
        if not problems:
            return list(map(cache.__getitem__, texts))
        for row_number, text in zip(row_numbers, texts, strict=True):
            if text in problems:
                self.warn(row_number, name, problems[text][1])
        lookup = cache | {text: value for text, (value, _) in problems.items()}
        return list(map(lookup.__getitem__, texts))

    def _identities(
        self, row_numbers: Sequence[int], texts: Sequence[str]
    ) -> tuple[list[str | None], list[str]]:
        goodreads_ids: list[str | None] = []
        book_ids: list[str] = []
        seen, first_rows = self._seen_ids, self._first_row_of_goodreads_id
        for row_number, text in zip(row_numbers, map(str.strip, texts), strict=True):
            # The usual row, a valid Goodreads id not seen before, is "gr{id}" as make_book_id
            # would say, in a few operations; any other row goes through make_book_id.
            if text.isdigit() and text.isascii() and len(text) <= 20:
                book_id = "gr" + text
                if book_id not in seen:
                    seen.add(book_id)
                    first_rows[text] = row_number
                    goodreads_ids.append(text)
                    book_ids.append(book_id)
                    continue
            goodreads_id, book_id = self._identity(row_number, text)
            goodreads_ids.append(goodreads_id)
            book_ids.append(book_id)
        return goodreads_ids, book_ids

    def _identity(self, row_number: int, text: str) -> tuple[str | None, str]:
        goodreads_id: str | None = text
        if not text:
            goodreads_id = None
            self.warn(row_number, "Book Id", "Book Id is empty; the book is identified by its row.")
        elif not _is_goodreads_id(text):
            goodreads_id = None
            self.warn(
                row_number,
                "Book Id",
                f"Book Id {show(text)} is not a Goodreads id; the book is identified by its row.",
            )
        book_id = make_book_id(goodreads_id, row_number, self._seen_ids)
        if goodreads_id is not None:
            first_row = self._first_row_of_goodreads_id.setdefault(goodreads_id, row_number)
            if first_row != row_number:
                self.warn(
                    row_number,
                    "Book Id",
                    f"Book Id {goodreads_id} already appeared in row {first_row}; both rows are "
                    f"kept as separate books (this one as {book_id}).",
                )
        return goodreads_id, book_id

    def _isbns(
        self, row_numbers: Sequence[int], cells10: Sequence[str], cells13: Sequence[str]
    ) -> tuple[list[str | None], list[str | None]]:
        # Empty cells stand in as a valid code, so that the column keeps the one shape the
        # bulk validators need; they read as None below.
        digits13 = strip_formulas(cells13)
        valid13 = valid_isbn13s([code or _STAND_IN_ISBN13 for code in digits13])
        isbn13s = [
            code if ok and code else None for code, ok in zip(digits13, valid13, strict=True)
        ]
        digits10 = strip_formulas(cells10)
        valid10 = valid_isbn10s([code or _STAND_IN_ISBN10 for code in digits10])
        isbn10s = [
            code if ok and code else None for code, ok in zip(digits10, valid10, strict=True)
        ]
        if not all(valid13):
            for i in itertools.compress(range(len(valid13)), map(operator.not_, valid13)):
                message = f"ISBN13 {show(cells13[i])} is not a valid ISBN-13; ignored."
                self.warn(row_numbers[i], "ISBN13", message)
        for i in itertools.compress(range(len(isbn13s)), map(operator.not_, isbn13s)):
            isbn10 = isbn10s[i]
            if isbn10 is not None:  # an ISBN-10 alone gives the ISBN-13
                isbn13s[i] = isbn10_to_isbn13(isbn10)
            elif digits10[i] and is_valid_isbn13(digits10[i]):  # an ISBN-13 in the ISBN column
                isbn13s[i] = digits10[i]
        if not all(valid10):
            for i in itertools.compress(range(len(valid10)), map(operator.not_, valid10)):
                if not is_valid_isbn13(digits10[i]):
                    message = f"ISBN {show(cells10[i])} is not a valid ISBN-10; ignored."
                    self.warn(row_numbers[i], "ISBN", message)
        return isbn10s, isbn13s

    def _reviews(self, row_numbers: Sequence[int], texts: Sequence[str]) -> list[str | None]:
        reviews: list[str | None] = [None] * len(texts)
        limit = FIELD_LIMITS["My Review"]
        for i in itertools.compress(range(len(texts)), texts):
            text = texts[i]
            if text.isspace():
                continue
            if "\r" in text:  # the same review from an LF or a CRLF file
                text = text.replace("\r\n", "\n")
            if len(text) > limit:
                self.warn(row_numbers[i], "My Review", too_long("My Review"))
                text = text[:limit]
            reviews[i] = text  # untrusted markup, carried as text: never rendered raw
        return reviews


_NO_TITLE = "Title is empty: a row without a title cannot be a book."
_HEADER_MARKS = ("Book Id", "Title", "Author")
_HEADER_LINE = (
    "This row repeats the header line (Book Id, Title, Author, …): two exports joined into "
    "one file? The row is skipped; the rows after it are read as books. Upload each export "
    "on its own to keep their books apart."
)
_STAND_IN_ISBN13 = "9780000000002"
_STAND_IN_ISBN10 = "0000000000"


def _is_goodreads_id(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 20


def _collapse_whitespace(values: Iterable[str]) -> list[str]:
    """`" ".join(value.split())` for every value, done over the whole column at once.

    NUL joins the values: the file has none (it is refused otherwise) and it is not whitespace.
    """
    values = list(values)
    joined = "\x00".join(values)
    if _is_tidy(values, joined):
        return values
    collapsed = " ".join(joined.split())
    return collapsed.replace(" \x00", "\x00").replace("\x00 ", "\x00").split("\x00")


def _is_tidy(values: list[str], joined: str) -> bool:
    """No value has whitespace to collapse: the usual case, checked without copying text.

    Printable text has no whitespace but the plain space, so only runs of spaces and spaces
    at either end of a value remain to look for.
    """
    return (
        all(map(str.isprintable, values))
        and "  " not in joined
        and " \x00" not in joined
        and "\x00 " not in joined
        and not joined.startswith(" ")
        and not joined.endswith(" ")
    )
