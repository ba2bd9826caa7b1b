"""How a book is recognised upstream and in the cache: ISBN-13 first, else title and author."""

from __future__ import annotations

import re
import unicodedata

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
# Goodreads appends the series to titles: "The Hobbit (Middle-earth, #0)".
_SERIES_SUFFIX = re.compile(r"\s*\([^()]*#\s*[\d.]+(?:-\d+)?\)\s*$")
_MAX_KEY_TEXT = 200


def isbn10_to_isbn13(isbn10: str) -> str:
    core = "978" + isbn10[:9]
    return core + _isbn13_check_digit(core)


def _isbn13_check_digit(first12: str) -> str:
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def _valid_isbn10(value: str) -> bool:
    if not re.fullmatch(r"[0-9]{9}[0-9X]", value):
        return False
    total = sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(value))
    return total % 11 == 0


def normalize_isbn(value: str | None) -> str | None:
    """An ISBN-13 for any valid ISBN-10 or ISBN-13 (hyphens and spaces ignored), else None."""
    if not value:
        return None
    compact = re.sub(r"[\s-]", "", value).upper()
    if re.fullmatch(r"97[89][0-9]{10}", compact):
        return compact if compact[-1] == _isbn13_check_digit(compact[:12]) else None
    if _valid_isbn10(compact):
        return isbn10_to_isbn13(compact)
    return None


def book_isbn13(isbn13: str | None, isbn10: str | None) -> str | None:
    return normalize_isbn(isbn13) or normalize_isbn(isbn10)


def normalize_text(value: str) -> str:
    """Case, accents and punctuation folded away: 'Les Misérables!' -> 'les miserables'."""
    decomposed = unicodedata.normalize("NFKD", value)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_ALNUM.sub(" ", ascii_only.casefold()).strip()


def search_title(title: str) -> str:
    """The title as the sources know it: without the Goodreads series suffix."""
    return _SERIES_SUFFIX.sub("", title).strip() or title.strip()


def cache_key(*, isbn13: str | None, title: str, author: str) -> str:
    """The cache partition key shared by all jobs: "isbn13#…", else "ta#<title>|<author>"."""
    if isbn13:
        return f"isbn13#{isbn13}"
    normalised_title = normalize_text(search_title(title))[:_MAX_KEY_TEXT]
    normalised_author = normalize_text(author)[:_MAX_KEY_TEXT]
    return f"ta#{normalised_title}|{normalised_author}"


def titles_match(wanted: str, candidate: str) -> bool:
    """Loose equality of two titles: one is the other, maybe with a subtitle."""
    a = normalize_text(search_title(wanted))
    b = normalize_text(candidate)
    if not a or not b:
        return False
    return a == b or b.startswith(a + " ") or a.startswith(b + " ")


def authors_match(wanted: str, candidates: list[str]) -> bool:
    """The wanted author's surname appears among the candidates (no candidates: no evidence)."""
    words = normalize_text(wanted).split()
    if not words:
        return True
    surname = words[-1]
    return any(surname in normalize_text(c).split() for c in candidates)
