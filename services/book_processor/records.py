"""What one source said about one book, in a shape independent of its API.

Records are what the cache keeps; the taxonomy runs when a result is built, so a taxonomy
change applies to cached books too.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import msgspec

from services.book_processor.settings import GOOGLE_BOOKS, OPENLIBRARY

OPENLIBRARY_COVER_URL = "https://covers.openlibrary.org/b/id/{cover_id}-M.jpg"
_WORK_KEY = re.compile(r"^/works/OL[0-9]{1,12}W$")
_EDITION_KEY = re.compile(r"^/books/OL[0-9]{1,12}M$")
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


def edition_key(value: Any) -> str | None:
    text = as_str(value, 40)
    return text if text and _EDITION_KEY.match(text) else None


def volume_id(value: Any) -> str | None:
    text = as_str(value, 40)
    return text if text and _VOLUME_ID.match(text) else None


def first_cover(covers: Any) -> str | None:
    if isinstance(covers, list):
        for cover in covers:
            url = openlibrary_cover_url(cover)  # Open Library uses -1 for "no cover"
            if url:
                return url
    return None


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


def record_from_edition(edition: dict[str, Any], work: dict[str, Any] | None) -> SourceRecord:
    """An edition record, completed by its work: the edition's own facts win, the work adds
    subjects and the first publication date."""
    work = work or {}
    subjects = as_str_list(edition.get("subjects")) + as_str_list(work.get("subjects"))
    years = [
        y
        for y in (
            year_from_text(work.get("first_publish_date")),
            year_from_text(edition.get("publish_date")),
        )
        if y
    ]
    works = edition.get("works")
    edition_work = (
        works[0].get("key")
        if isinstance(works, list) and works and isinstance(works[0], dict)
        else None
    )
    return SourceRecord(
        source=OPENLIBRARY,
        title=as_str(edition.get("title")) or as_str(work.get("title")),
        pages=pages(edition.get("number_of_pages")),
        first_publish_year=min(years) if years else None,
        subjects=tuple(dict.fromkeys(subjects))[:_MAX_SUBJECTS],
        cover_url=first_cover(edition.get("covers")) or first_cover(work.get("covers")),
        openlibrary_work=work_key(work.get("key")) or work_key(edition_work),
    )


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
