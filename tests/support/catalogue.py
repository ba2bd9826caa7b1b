"""What the upstream APIs know about a synthetic export's books, and what enrichment must give.

Most books are known to Open Library (search index, edition and work) and to Google Books, in
the documented shapes; about one book in `unknown_every` is known to neither, so it must end
`not_found`. A known book must end `enriched` with the catalogue's genre. Optionally, as a real
catalogue: one ISBN book in `search_miss_every` has an edition and a work but is missing from
the search index (which lags the records), and one book in `bare_every` has no Open Library
subjects (its genre comes from Google Books' category).

The upstream emulator matches title searches by substring, as the real APIs roughly do, so a
book is only left unknown when its title is not part of another book's title (otherwise a
search for it would rightly find that other book).
"""

from __future__ import annotations

import dataclasses
import re

from contracts.books import Book
from tests.support.upstream_server import FixtureBook

# Subjects and categories whose canonical genre is unambiguous in the taxonomy.
_SHELVES = (
    ("Fantasy fiction", "Fiction / Fantasy / Epic", "Fantasy"),
    ("Science fiction", "Fiction / Science Fiction / General", "Science Fiction"),
    ("Detective and mystery stories", "Fiction / Mystery & Detective / General", "Mystery & Crime"),
)


@dataclasses.dataclass(frozen=True)
class Catalogue:
    fixtures: list[FixtureBook]
    known: dict[str, str]  # book_id -> expected genre
    unknown: set[str]  # book_ids no source knows


def catalogue_for(
    books: list[Book], *, unknown_every: int = 5, search_miss_every: int = 0, bare_every: int = 0
) -> Catalogue:
    fixtures: list[FixtureBook] = []
    known: dict[str, str] = {}
    unknown: set[str] = set()
    titles = [_norm(book.title) for book in books]
    for index, book in enumerate(books, start=1):
        title = titles[index - 1]
        unique = sum(title in other for other in titles) == 1
        if index % unknown_every == 0 and unique:
            unknown.add(book.book_id)
            continue
        subject, category, genre = _SHELVES[index % len(_SHELVES)]
        fixture = _fixture(book, index, subject, category)
        if search_miss_every and index % search_miss_every == 0 and fixture.edition:
            fixture = dataclasses.replace(fixture, search_doc=None)
        if bare_every and index % bare_every == 0:
            fixture = _without_subjects(fixture)
        fixtures.append(fixture)
        known[book.book_id] = genre
    return Catalogue(fixtures=fixtures, known=known, unknown=unknown)


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.casefold()).split())


def _without_subjects(fixture: FixtureBook) -> FixtureBook:
    search_doc = dict(fixture.search_doc) if fixture.search_doc else None
    if search_doc is not None:
        search_doc.pop("subject", None)
    work = {k: v for k, v in (fixture.work or {}).items() if k != "subjects"} or None
    return dataclasses.replace(fixture, search_doc=search_doc, work=work)


def _fixture(book: Book, index: int, subject: str, category: str) -> FixtureBook:
    isbns = [isbn for isbn in (book.isbn13, book.isbn10) if isbn]
    work_key = f"/works/OL{index}W"
    pages = 120 + index
    year = 1950 + index % 70
    identifiers = [
        {"type": "ISBN_13" if len(isbn) == 13 else "ISBN_10", "identifier": isbn} for isbn in isbns
    ]
    return FixtureBook(
        name=f"synthetic-{index}",
        title=book.title,
        authors=(book.author,),
        isbns=tuple(isbns),
        search_doc={
            "key": work_key,
            "title": book.title,
            "author_name": [book.author],
            "isbn": isbns,
            "first_publish_year": year,
            "edition_count": 1,
            "number_of_pages_median": pages,
            "subject": [subject, "Fiction, general", "Large type books"],
            "cover_i": 100000 + index,
        },
        edition=(
            {
                "key": f"/books/OL{index}M",
                "title": book.title,
                "isbn_13": [book.isbn13] if book.isbn13 else [],
                "isbn_10": [book.isbn10] if book.isbn10 else [],
                "number_of_pages": pages,
                "publish_date": str(year),
                "covers": [100000 + index],
                "works": [{"key": work_key}],
            }
            if isbns
            else None
        ),
        work={
            "key": work_key,
            "title": book.title,
            "subjects": [subject, "Fiction, general"],
            "first_publish_date": str(year),
            "covers": [100000 + index],
        },
        google_volume={
            "kind": "books#volume",
            "id": f"synthetic{index:06d}",
            "volumeInfo": {
                "title": book.title,
                "authors": [book.author],
                "publishedDate": str(year),
                "pageCount": pages,
                "categories": [category],
                "industryIdentifiers": identifiers,
                "imageLinks": {"thumbnail": f"http://books.google.com/covers/{index}.jpg"},
            },
        },
    )
