"""Realistic synthetic Goodreads exports, with the ground truth of every row.

Generated rows carry every quirk of real exports (samples/ has a real one; the header layouts
are in services/orchestrator/export_format.py): ISBNs as Excel formulas (some missing, some ISBN-10 only), ratings written as `5.0`, empty Date
Read on read books, custom exclusive shelves, repeated titles, duplicate Book Ids, non-Latin
text, negative years, multi-line HTML reviews with commas and quotes, authors with runs of
spaces. Optional row problems (bad dates, numbers and ISBNs, over-long fields) and rejected rows
(empty Title) come with the warnings and rejections a correct parser reports.

    export = synthetic_export(500, seed=7, variant="23", problem_rate=0.05)
    export.data              # the CSV bytes
    export.books             # list[Book]: what a correct parser produces, in row order
    export.rows[3].cells     # the text of each column as written in the file

Everything is deterministic for a given seed.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import random
from collections.abc import Mapping, Sequence
from typing import Literal

import msgspec

from contracts.books import Book
from services.orchestrator.parser import FIELD_LIMITS

HeaderVariant = Literal["31", "24", "23"]

# The three Goodreads layouts, written out from the export notes (not taken from the parser).
HEADER_24: tuple[str, ...] = (
    "Book Id", "Title", "Author", "Author l-f", "Additional Authors", "ISBN", "ISBN13",
    "My Rating", "Average Rating", "Publisher", "Binding", "Number of Pages", "Year Published",
    "Original Publication Year", "Date Read", "Date Added", "Bookshelves",
    "Bookshelves with positions", "Exclusive Shelf", "My Review", "Spoiler", "Private Notes",
    "Read Count", "Owned Copies",
)  # fmt: skip
HEADER_31: tuple[str, ...] = (
    HEADER_24[:22]
    + ("Read Count", "Recommended For", "Recommended By", "Owned Copies")
    + ("Original Purchase Date", "Original Purchase Location", "Condition")
    + ("Condition Description", "BCID")
)
HEADER_23: tuple[str, ...] = tuple(name for name in HEADER_24 if name != "Average Rating")
HEADERS: dict[str, tuple[str, ...]] = {"31": HEADER_31, "24": HEADER_24, "23": HEADER_23}

# With reviews on 22% of the rows, a file has about 640 bytes per row, like the real export in
# the notes (2,638 rows in 1.7 MB).
REVIEW_RATE = 0.22

# Columns that third-party "enhanced" exports add; a parser must ignore them.
ENHANCED_COLUMNS: tuple[str, ...] = ("read_dates", "genres", "n_ratings")


@dataclasses.dataclass(frozen=True)
class ExportRow:
    """One generated data row: the text of every column, and what a parser must make of it."""

    row_number: int  # 1-based data row, the header is row 0
    cells: Mapping[str, str]  # every column of HEADER_31 and ENHANCED_COLUMNS, as written
    book: Book | None  # the clean book (24/31-column layouts); None for a row to reject
    warning_columns: tuple[str, ...] = ()  # the columns a parser must warn about in this row

    @property
    def rejected(self) -> bool:
        return self.book is None

    def expected_book(self, variant: str = "24") -> Book | None:
        """The book as read from a file of `variant` (the 23-column layout has no average)."""
        if self.book is None or variant != "23":
            return self.book
        return msgspec.structs.replace(self.book, average_rating=None)


@dataclasses.dataclass(frozen=True)
class SyntheticExport:
    rows: list[ExportRow]
    variant: HeaderVariant
    data: bytes

    @property
    def books(self) -> list[Book]:
        return [book for row in self.rows if (book := row.expected_book(self.variant))]

    @property
    def rejected_row_numbers(self) -> list[int]:
        return [row.row_number for row in self.rows if row.rejected]

    @property
    def expected_warnings(self) -> set[tuple[int, str]]:
        """(row number, column) of every warning a correct parser reports."""
        return {(row.row_number, column) for row in self.rows for column in row.warning_columns}


def synthetic_export(
    count: int,
    *,
    seed: int = 0,
    variant: HeaderVariant = "24",
    line_ending: str = "\n",
    bom: bool = False,
    extra_columns: Sequence[str] = (),
    problem_rate: float = 0.0,
    reject_rate: float = 0.0,
    duplicate_id_rate: float = 0.01,
    review_rate: float = REVIEW_RATE,
) -> SyntheticExport:
    rows = generate_rows(
        count,
        seed=seed,
        problem_rate=problem_rate,
        reject_rate=reject_rate,
        duplicate_id_rate=duplicate_id_rate,
        review_rate=review_rate,
    )
    data = render_csv(rows, variant, line_ending=line_ending, bom=bom, extra_columns=extra_columns)
    return SyntheticExport(rows=rows, variant=variant, data=data)


def render_csv(
    rows: Sequence[ExportRow],
    variant: HeaderVariant = "24",
    *,
    columns: Sequence[str] | None = None,
    line_ending: str = "\n",
    bom: bool = False,
    extra_columns: Sequence[str] = (),
) -> bytes:
    """The rows as a Goodreads export: `variant`'s header (or `columns`, in any order), then
    `extra_columns` appended; LF (Goodreads) or CRLF (re-saved by Excel) line endings."""
    header = list(columns if columns is not None else HEADERS[variant]) + list(extra_columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=line_ending)
    writer.writerow(header)
    writer.writerows([row.cells.get(name, "") for name in header] for row in rows)
    text = buffer.getvalue()
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


# --- Generation -------------------------------------------------------------------------------

_WORDS = (
    "Shadow Empire River Stone Night Garden House Memory Silence Glass Winter Fire Road City "
    "Ocean Light Ashes Crown Secret Storm Library Mountain Daughter Kingdom Clockwork Letters "
    "Summer Bridge Wolves Salt Iron Thousand Lost Hidden Last Burning Silver Broken Golden"
).split()
_NON_LATIN_TITLES = (
    "Мастер и Маргарита", "Война и мир", "ノルウェイの森", "三体", "百年孤独", "Η Οδύσσεια",
    "الخيميائي", "Cien años de soledad", "Les Misérables", "Der Zauberberg", "Ἰλιάς", "토지",
    "Преступление и наказание", "吾輩は猫である", "Pan Tadeusz", "Den lille havfrue",
)  # fmt: skip
_SERIES = ("Mark of the Fool", "The Stormlight Archive", "Discworld", "Хроники", "三体")
_FIRST = (
    "Brandon", "Ursula", "Terry", "Octavia", "Haruki", "Chimamanda", "Italo", "Wisława", "Jorge",
    "Olga", "Kazuo", "Toni", "Ada", "Nnedi", "Ted", "Mary", "José", "Zadie", "Liu", "Ann",
)  # fmt: skip
_LAST = (
    "Sanderson", "Le Guin", "Pratchett", "Butler", "Murakami", "Adichie", "Calvino", "Szymborska",
    "Borges", "Tokarczuk", "Ishiguro", "Morrison", "Palmer", "Okorafor", "Chiang", "Shelley",
    "Saramago", "Smith", "Leckie", "O'Brien",
)  # fmt: skip
_NON_LATIN_AUTHORS = ("Михаил Булгаков", "村上 春樹", "刘慈欣", "Όμηρος", "نجيب محفوظ", "박경리")
_PUBLISHERS = (
    "Tor Books", "Penguin Classics", "Little, Brown and Company", "Vintage", "Gollancz",
    "Азбука", "新潮社", "Companhia das Letras", "Faber & Faber", "Orbit",
)  # fmt: skip
_BINDINGS = (
    "Paperback", "Hardcover", "Kindle Edition", "Mass Market Paperback", "Capa comum",
    "Audible Audio", "ebook", "Broché",
)  # fmt: skip
_TAGS = (
    "fantasy",
    "sci-fi",
    "favorites",
    "classics",
    "non-fiction",
    "history",
    "re-read",
    "poetry",
)
_CUSTOM_SHELVES = ("dnf", "did-not-finish", "abandoned")
_REVIEW_SNIPPETS = (
    "Loved it, truly.",
    'She said "never again", and meant it.',
    "<b>Five stars</b>, no question.",
    "<blockquote>All happy families are alike; each unhappy family is unhappy in its own way."
    "</blockquote>",
    'See <a href="https://example.org/review?a=1&b=2">my notes</a>.',
    "<script>alert('x')</script> is not a review, it is an attack.",
    "Слишком длинно, но красиво.",
    "読みやすい、でも長い。",
    "Commas, commas, commas; and a semicolon.",
)


def _isbn10_check(first9: str) -> str:
    total = sum((10 - i) * int(d) for i, d in enumerate(first9))
    check = (11 - total % 11) % 11
    return "X" if check == 10 else str(check)


def _isbn13_check(first12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def _formula(value: str) -> str:
    return f'="{value}"'


@dataclasses.dataclass
class _Draft:
    """A row being generated: the clean values and the text written for each column."""

    cells: dict[str, str]
    values: dict[str, object]
    warnings: list[str]


def generate_rows(
    count: int,
    *,
    seed: int = 0,
    problem_rate: float = 0.0,
    reject_rate: float = 0.0,
    duplicate_id_rate: float = 0.01,
    review_rate: float = REVIEW_RATE,
) -> list[ExportRow]:
    """`count` data rows with their ground truth; same seed, same rows."""
    rng = random.Random(seed)
    rows: list[ExportRow] = []
    first_row_of_id: dict[str, int] = {}
    ids_in_order: list[str] = []  # duplicates repeat a recent id, as re-added editions do
    titles: list[str] = []
    for row_number in range(1, count + 1):
        if first_row_of_id and rng.random() < duplicate_id_rate:
            goodreads_id = rng.choice(ids_in_order[-50:])
        else:
            goodreads_id = str(rng.randrange(1, 99_999_999))
            while goodreads_id in first_row_of_id:
                goodreads_id = str(rng.randrange(1, 99_999_999))
        draft = _draft_row(rng, goodreads_id, titles, review_rate)
        if rng.random() < reject_rate:
            draft.cells["Title"] = rng.choice(("", "   "))
            rows.append(ExportRow(row_number=row_number, cells=draft.cells, book=None))
            continue
        if rng.random() < problem_rate:
            _add_problem(rng, draft)
        if goodreads_id in first_row_of_id:
            book_id = f"row{row_number}"
            draft.warnings.append("Book Id")
        else:
            book_id = f"gr{goodreads_id}"
            first_row_of_id[goodreads_id] = row_number
            ids_in_order.append(goodreads_id)
        book = msgspec.convert({"book_id": book_id, "row_number": row_number, **draft.values}, Book)
        rows.append(
            ExportRow(
                row_number=row_number,
                cells=draft.cells,
                book=book,
                warning_columns=tuple(draft.warnings),
            )
        )
    return _late_read_dates_warned(rows)


def _late_read_dates_warned(rows: list[ExportRow]) -> list[ExportRow]:
    """The parser's date rule (services/orchestrator/dates.py): a Date Read after the export's
    latest Date Added plus a day is kept, with a warning. Generated dates are all possible."""
    added = [row.book.date_added for row in rows if row.book and row.book.date_added]
    if not added:
        return rows
    late_after = max(added) + dt.timedelta(days=1)
    return [
        (
            dataclasses.replace(row, warning_columns=(*row.warning_columns, "Date Read"))
            if row.book and row.book.date_read and row.book.date_read > late_after
            else row
        )
        for row in rows
    ]


def _draft_row(
    rng: random.Random, goodreads_id: str, titles: list[str], review_rate: float
) -> _Draft:
    title = _title(rng, titles)
    author = _author(rng)
    written_author = author.replace(" ", "  ", 1) if rng.random() < 0.05 else author
    additional = tuple(dict.fromkeys(_author(rng) for _ in range(rng.choice((0, 0, 0, 0, 1, 2)))))

    isbn10 = isbn13 = None
    kind = rng.random()
    if kind < 0.70:
        first9 = "".join(rng.choices("0123456789", k=9))
        isbn10 = first9 + _isbn10_check(first9)
        isbn13 = "978" + first9 + _isbn13_check("978" + first9)
        isbn_cells = (_formula(isbn10), _formula(isbn13))
    elif kind < 0.78:  # ISBN-10 only: the ISBN-13 is derived from it
        first9 = "".join(rng.choices("0123456789", k=9))
        isbn10 = first9 + _isbn10_check(first9)
        isbn13 = "978" + first9 + _isbn13_check("978" + first9)
        isbn_cells = (_formula(isbn10), '=""')
    elif kind < 0.83:  # 979 prefix: no ISBN-10 exists
        first12 = "979" + "".join(rng.choices("0123456789", k=9))
        isbn13 = first12 + _isbn13_check(first12)
        isbn_cells = ('=""', _formula(isbn13))
    else:  # Kindle editions and old books often have none
        isbn_cells = ('=""', '=""')

    shelf = rng.choices(
        ("read", "to-read", "currently-reading", *_CUSTOM_SHELVES), weights=(55, 30, 6, 5, 2, 2)
    )[0]
    tags = tuple(rng.sample(_TAGS, rng.choice((0, 0, 1, 2, 3))))
    shelves = tags if shelf == "read" else (shelf, *tags)

    date_added = dt.date(2010, 1, 1) + dt.timedelta(days=rng.randrange(5400))
    date_read = None
    if shelf == "read" and rng.random() < 0.6:  # often empty even for read books
        date_read = date_added + dt.timedelta(days=rng.randrange(400))

    my_rating = rng.choice((0, 0, 1, 2, 3, 3, 4, 4, 4, 5, 5)) if shelf == "read" else 0
    rating_text = f"{my_rating}.0" if rng.random() < 0.1 else str(my_rating)
    average = round(rng.uniform(2.5, 4.8), 2) if rng.random() > 0.02 else 0.0

    pages_kind = rng.random()
    pages = rng.randrange(40, 1400) if pages_kind > 0.11 else None
    pages_text = str(pages) if pages else ("0" if pages_kind < 0.03 else "")

    year_published = rng.randrange(1950, 2025) if rng.random() > 0.05 else None
    if rng.random() < 0.01:
        original_year: int | None = rng.choice((-800, -750, -431, -50))
    elif rng.random() < 0.05 or year_published is None:
        original_year = None
    else:
        original_year = year_published - rng.choice((0, 0, 0, 1, 5, 30, 120))

    review = _review(rng) if rng.random() < review_rate else None
    spoiler = review is not None and rng.random() < 0.2
    if shelf == "read":
        read_count: int | None = rng.choice((1, 1, 1, 1, 1, 1, 2, 3))
    else:
        read_count = 0
    if rng.random() < 0.08:
        read_count = None  # empty in legacy files
    owned = rng.choice((0, 0, 0, 1))
    publisher = rng.choice(_PUBLISHERS) if rng.random() > 0.05 else None
    binding = rng.choice(_BINDINGS) if rng.random() > 0.03 else None
    last_first = ", ".join(reversed(author.rsplit(" ", 1)))

    cells = {
        "Book Id": goodreads_id,
        "Title": title,
        "Author": written_author,
        "Author l-f": last_first,
        "Additional Authors": ", ".join(additional),
        "ISBN": isbn_cells[0],
        "ISBN13": isbn_cells[1],
        "My Rating": rating_text,
        "Average Rating": f"{average:.2f}",
        "Publisher": publisher or "",
        "Binding": binding or "",
        "Number of Pages": pages_text,
        "Year Published": "" if year_published is None else str(year_published),
        "Original Publication Year": "" if original_year is None else str(original_year),
        "Date Read": date_read.strftime("%Y/%m/%d") if date_read else "",
        "Date Added": date_added.strftime("%Y/%m/%d"),
        "Bookshelves": ", ".join(shelves),
        "Bookshelves with positions": ", ".join(
            f"{name} (#{rng.randrange(1, 900)})" for name in shelves
        ),
        "Exclusive Shelf": shelf,
        "My Review": review or "",
        "Spoiler": "true" if spoiler else "",
        "Private Notes": "Lent to Sam, twice\nask back" if rng.random() < 0.02 else "",
        "Read Count": "" if read_count is None else str(read_count),
        "Recommended For": "",
        "Recommended By": "",
        "Owned Copies": str(owned),
        "Original Purchase Date": "",
        "Original Purchase Location": "",
        "Condition": "",
        "Condition Description": "",
        "BCID": "",
        "read_dates": date_read.isoformat() if date_read else "",
        "genres": "Fantasy;Fiction",
        "n_ratings": str(rng.randrange(0, 50_000)),
    }
    values: dict[str, object] = {
        "goodreads_id": goodreads_id,
        "title": title,
        "author": author,
        "additional_authors": additional,
        "isbn10": isbn10,
        "isbn13": isbn13,
        "my_rating": my_rating or None,
        "average_rating": average or None,
        "publisher": publisher,
        "binding": binding,
        "pages": pages,
        "year_published": year_published,
        "original_publication_year": original_year,
        "date_read": date_read,
        "date_added": date_added,
        "bookshelves": shelves,
        "exclusive_shelf": shelf,
        "review_html": review,
        "spoiler": spoiler,
        "read_count": read_count,
        "owned_copies": owned,
    }
    return _Draft(cells=cells, values=values, warnings=[])


def _title(rng: random.Random, titles: list[str]) -> str:
    if titles and rng.random() < 0.05:
        return rng.choice(titles[-200:])  # another edition, or just the same title
    roll = rng.random()
    if roll < 0.1:
        title = f"{rng.choice(_NON_LATIN_TITLES)} {rng.randrange(1, 99)}"
    else:
        words = rng.sample(_WORDS, rng.randrange(1, 5))
        title = "The " + " ".join(words) if roll < 0.4 else " ".join(words)
        if roll > 0.9:
            title += f': A "{rng.choice(_WORDS)}" Story, Retold'
    if rng.random() < 0.15:
        title += f" ({rng.choice(_SERIES)}, #{rng.randrange(1, 12)})"
    titles.append(title)
    return title


def _author(rng: random.Random) -> str:
    if rng.random() < 0.08:
        return rng.choice(_NON_LATIN_AUTHORS)
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"


def _review(rng: random.Random) -> str:
    """Short notes to essays: 1-20 paragraphs of 2-8 sentences, HTML line breaks."""
    paragraphs = [
        " ".join(rng.choices(_REVIEW_SNIPPETS, k=rng.randrange(2, 9)))
        for _ in range(rng.choice((1, 2, 3, 5, 8, 12, 20)))
    ]
    return "<br/>\n".join(paragraphs) if rng.random() < 0.7 else "<br/><br/>".join(paragraphs)


def _add_problem(rng: random.Random, draft: _Draft) -> None:
    """One fixable row problem, with the value and warning a correct parser ends with."""
    cells, values, warnings = draft.cells, draft.values, draft.warnings
    problem = rng.randrange(9)
    if problem == 0:
        cells["Date Read"], values["date_read"] = rng.choice(("2023/02/30", "yesterday")), None
        warnings.append("Date Read")
    elif problem == 1:
        cells["Date Added"], values["date_added"] = "15/03/2021", None
        warnings.append("Date Added")
    elif problem == 2:
        cells["Number of Pages"], values["pages"] = rng.choice(("three hundred", "-5")), None
        warnings.append("Number of Pages")
    elif problem == 3:
        cells["My Rating"], values["my_rating"] = rng.choice(("7", "4.5", "great")), None
        warnings.append("My Rating")
    elif problem == 4:  # a wrong check digit, and no ISBN-10 to fall back on
        cells["ISBN"], values["isbn10"] = '=""', None
        cells["ISBN13"], values["isbn13"] = _formula("9780000000001"), None
        warnings.append("ISBN13")
    elif problem == 5:
        limit = FIELD_LIMITS["Title"]
        long_title = " ".join(rng.choice(_WORDS) for _ in range(limit // 3))
        cells["Title"], values["title"] = long_title, long_title[:limit].rstrip()
        warnings.append("Title")
    elif problem == 6:
        limit = FIELD_LIMITS["My Review"]
        long_review = "<p>" + "A very long, heartfelt review line.\n" * (limit // 30)
        cells["My Review"], values["review_html"] = long_review, long_review[:limit]
        warnings.append("My Review")
    elif problem == 7:
        cells["Original Publication Year"] = "MCMXC"
        values["original_publication_year"] = None
        warnings.append("Original Publication Year")
    else:
        cells["Spoiler"], values["spoiler"] = "yes", False
        warnings.append("Spoiler")
