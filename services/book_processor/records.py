"""What one source said about one book, in a shape independent of its API.

Records are what the cache keeps; the taxonomy runs when a result is built, so a taxonomy
change applies to cached books too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import msgspec

from services.book_processor.settings import GOOGLE_BOOKS, OPENLIBRARY

OPENLIBRARY_COVER_URL = "https://covers.openlibrary.org/b/id/{cover_id}-M.jpg"
_WORK_KEY = re.compile(r"^/works/OL[0-9]{1,12}W$")
_VOLUME_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_YEAR = re.compile(r"(?<![0-9])(1[0-9]{3}|20[0-9]{2})(?![0-9])")
_MAX_SUBJECTS = 300
_MAX_SUBJECT_LENGTH = 200


class SourceRecord(msgspec.Struct, frozen=True, kw_only=True):
    source: str  # "openlibrary" or "google_books"
    title: str | None = None
    pages: int | None = None
    first_publish_year: int | None = None
    subjects: tuple[str, ...] = ()  # Open Library subjects, or Google categories
    cover_url: str | None = None  # https only
    openlibrary_work: str | None = None
    google_volume_id: str | None = None


# --- Tolerant readers: upstream JSON is untrusted and its types vary --------------------------


def as_int(value: Any, *, low: int, high: int) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int | float) and low <= value <= high:
        return int(value)
    return None


def as_str(value: Any, max_length: int = 500) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()[:max_length]
    return None


def as_str_list(value: Any, limit: int = _MAX_SUBJECTS) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    items = (as_str(v, _MAX_SUBJECT_LENGTH) for v in value[: limit * 2])
    return tuple(dict.fromkeys(i for i in items if i))[:limit]


def year_from_text(value: Any) -> int | None:
    """The first plausible year in free text ('October 1, 1988', '1988-10-01', 1988)."""
    if isinstance(value, int):  # Open Library's numeric years include antiquity (180, -500)
        return as_int(value, low=-3000, high=2100)
    if isinstance(value, str):
        match = _YEAR.search(value)
        return int(match.group(1)) if match else None
    return None


def pages(value: Any) -> int | None:
    return as_int(value, low=1, high=50_000)


def openlibrary_cover_url(cover_id: Any) -> str | None:
    identifier = as_int(cover_id, low=1, high=10**12)
    return OPENLIBRARY_COVER_URL.format(cover_id=identifier) if identifier else None


def https_url(value: Any) -> str | None:
    """An http(s) image link rewritten to https; anything else (javascript:, data:) is dropped."""
    text = as_str(value, 2000)
    if text is None:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return urlunsplit(("https", parts.netloc, parts.path, parts.query, ""))


def work_key(value: Any) -> str | None:
    text = as_str(value, 40)
    return text if text and _WORK_KEY.match(text) else None


def volume_id(value: Any) -> str | None:
    text = as_str(value, 40)
    return text if text and _VOLUME_ID.match(text) else None


# --- Open Library ----------------------------------------------------------------------------


def record_from_search_doc(doc: dict[str, Any]) -> SourceRecord:
    return SourceRecord(
        source=OPENLIBRARY,
        title=as_str(doc.get("title")),
        pages=pages(doc.get("number_of_pages_median")),
        first_publish_year=year_from_text(doc.get("first_publish_year")),
        subjects=as_str_list(doc.get("subject")),
        cover_url=openlibrary_cover_url(doc.get("cover_i")),
        openlibrary_work=work_key(doc.get("key")),
    )


def record_from_books_api(data: dict[str, Any]) -> SourceRecord:
    """One edition of the Books API's `jscmd=data` answer: its pages, cover and publication
    date, and its work's subjects (`[{name, url}]`). It names no work key, and its date is the
    edition's (a reprint's year, not the first publication's)."""
    subjects = data.get("subjects")
    names = (
        [s.get("name") for s in subjects if isinstance(s, dict)]
        if isinstance(subjects, list)
        else []
    )
    cover = data.get("cover")
    covers = cover if isinstance(cover, dict) else {}
    return SourceRecord(
        source=OPENLIBRARY,
        title=as_str(data.get("title")),
        pages=pages(data.get("number_of_pages")),
        first_publish_year=year_from_text(data.get("publish_date")),
        subjects=as_str_list(names),
        cover_url=_openlibrary_cover(covers.get("medium"))
        or _openlibrary_cover(covers.get("large")),
    )


def _openlibrary_cover(value: Any) -> str | None:
    url = https_url(value)
    return url if url and url.startswith("https://covers.openlibrary.org/") else None


def combine(first: SourceRecord, second: SourceRecord) -> SourceRecord:
    """Two records of one source about one book (a search document and the Books API's
    edition): the first's facts win, the second fills the gaps; subjects from both."""
    if first.source != second.source:
        raise ValueError("records of two sources are merged per book, not combined")

    def either[T](a: T | None, b: T | None) -> T | None:
        return a if a is not None else b

    return SourceRecord(
        source=first.source,
        title=either(first.title, second.title),
        pages=either(first.pages, second.pages),
        first_publish_year=either(first.first_publish_year, second.first_publish_year),
        subjects=_unique(first.subjects, second.subjects),
        cover_url=either(first.cover_url, second.cover_url),
        openlibrary_work=either(first.openlibrary_work, second.openlibrary_work),
        google_volume_id=either(first.google_volume_id, second.google_volume_id),
    )


def _unique(*groups: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s for group in groups for s in group))[:_MAX_SUBJECTS]


# --- Google Books ----------------------------------------------------------------------------


def record_from_volume(volume: dict[str, Any]) -> SourceRecord:
    info = volume.get("volumeInfo")
    info = info if isinstance(info, dict) else {}
    categories = as_str_list(info.get("categories"))
    main_category = as_str(info.get("mainCategory"), _MAX_SUBJECT_LENGTH)
    if main_category and main_category not in categories:
        categories = (main_category, *categories)
    links = info.get("imageLinks")
    links = links if isinstance(links, dict) else {}
    return SourceRecord(
        source=GOOGLE_BOOKS,
        title=as_str(info.get("title")),
        pages=pages(info.get("pageCount")),
        first_publish_year=year_from_text(info.get("publishedDate")),
        subjects=categories,
        cover_url=https_url(links.get("thumbnail")) or https_url(links.get("smallThumbnail")),
        google_volume_id=volume_id(volume.get("id")),
    )


def volume_isbns(volume: dict[str, Any]) -> list[str]:
    info = volume.get("volumeInfo")
    identifiers = info.get("industryIdentifiers") if isinstance(info, dict) else None
    if not isinstance(identifiers, list):
        return []
    return [
        str(i.get("identifier"))
        for i in identifiers
        if isinstance(i, dict) and str(i.get("type", "")).startswith("ISBN")
    ]
