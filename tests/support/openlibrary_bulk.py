"""Open Library's answers for many books per request, as the loopback emulator gives them.

**The Books API** (https://openlibrary.org/dev/docs/api/books):
`GET /api/books?bibkeys=ISBN:A,ISBN:B,…&format=json&jscmd=data`. The answer is one object
keyed by each bibkey exactly as asked; a bibkey Open Library does not know is absent (`{}`
when none is known). With `jscmd=data` each value describes the edition: `url`, `key`
(`/books/OL…M`), `title`, `authors` (`[{url, name}]`, the work's), `number_of_pages`,
`identifiers`, `publishers` and `publish_places` (`[{name}]`), `publish_date`, `subjects`,
`subject_places`, `subject_people`, `subject_times` (`[{name, url}]`, the work's: an edition
without a work has none), `cover` (`{small, medium, large}`, the edition's first cover), empty
values left out. Without `jscmd` the answer is the "viewapi" shape (`bib_key`, `info_url`,
`preview`, `preview_url`, `thumbnail_url`). Without `format=json` it is JavaScript,
`var _OLBookInfo = {…};` (or the bare JSON with `callback=`).

**Fielded search**: `search.json?q=(title:"A" AND author:"B") OR (title:"C" AND author:"D")`
(Open Library's search takes Solr's fielded, boolean syntax). `title_author_groups` reads the
groups; a document matches a group when its title contains the phrase, word for word, and one
of its `author_name`s contains the author's words.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

OPENLIBRARY = "https://openlibrary.org"
_BIBKEY_ISBN = re.compile(r"^(?:isbn:?)\s*([0-9Xx-]{10,17})$", re.IGNORECASE)
_GROUP = re.compile(r'title:"([^"]*)"(?:\s+AND\s+author:"([^"]*)")?')


def bibkey_isbn(bibkey: str) -> str | None:
    """The ISBN of an `ISBN:…` bibkey (Open Library also reads `ISBN…` and a bare number)."""
    text = bibkey.strip()
    match = _BIBKEY_ISBN.match(text)
    if match:
        return match.group(1).replace("-", "")
    if text[:1].isdigit():
        return text.replace("-", "")
    return None


def _slug(title: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", title).strip("_") or "untitled"


def _subjects(work: dict[str, Any], name: str, prefix: str) -> list[dict[str, str]]:
    return [
        {
            "name": subject,
            "url": f"{OPENLIBRARY}/subjects/{prefix}{subject.lower().replace(' ', '_')}",
        }
        for subject in work.get(name, ())
        if isinstance(subject, str)
    ]


def _trim(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value}


def data_record(
    edition: dict[str, Any], work: dict[str, Any] | None, authors: tuple[str, ...]
) -> dict[str, Any]:
    """One edition in the `jscmd=data` shape."""
    work = work or {}
    key = edition["key"]
    title = edition.get("title", "")
    record: dict[str, Any] = {
        "url": f"{OPENLIBRARY}{key}/{_slug(title)}",
        "key": key,
        "title": title,
        "subtitle": edition.get("subtitle", ""),
        "authors": [
            {"url": f"{OPENLIBRARY}/authors/OL{1000 + index}A/{_slug(name)}", "name": name}
            for index, name in enumerate(authors if work else ())
        ],
        "number_of_pages": edition.get("number_of_pages", ""),
        "identifiers": _trim(
            {
                "isbn_10": edition.get("isbn_10", []),
                "isbn_13": edition.get("isbn_13", []),
                "openlibrary": [key.rsplit("/", 1)[-1]],
            }
        ),
        "publishers": [{"name": p} for p in edition.get("publishers", ())],
        "publish_places": [{"name": p} for p in edition.get("publish_places", ())],
        "publish_date": edition.get("publish_date"),
        "subjects": _subjects(work, "subjects", ""),
        "subject_places": _subjects(work, "subject_places", "place:"),
        "subject_people": _subjects(work, "subject_people", "person:"),
        "subject_times": _subjects(work, "subject_times", "time:"),
    }
    covers = edition.get("covers") or []
    if covers:
        cover = covers[0]
        record["cover"] = {
            size: f"https://covers.openlibrary.org/b/id/{cover}-{letter}.jpg"
            for size, letter in (("small", "S"), ("medium", "M"), ("large", "L"))
        }
    return _trim(record)


def viewapi_record(bibkey: str, edition: dict[str, Any]) -> dict[str, Any]:
    """One edition in the default (`viewapi`) shape."""
    url = f"{OPENLIBRARY}{edition['key']}/{_slug(edition.get('title', 'untitled'))}"
    record = {"bib_key": bibkey, "info_url": url, "preview": "noview", "preview_url": url}
    covers = edition.get("covers") or []
    if covers:
        record["thumbnail_url"] = f"https://covers.openlibrary.org/b/id/{covers[0]}-S.jpg"
    return record


EditionLookup = Callable[
    [str], tuple[dict[str, Any], dict[str, Any] | None, tuple[str, ...]] | None
]


def books_api(query: dict[str, list[str]], lookup: EditionLookup) -> bytes:
    """The Books API's answer to `query`; `lookup(isbn)` gives (edition, work, authors) of the
    edition with that ISBN, or None."""
    bibkeys = [key for key in (query.get("bibkeys") or [""])[0].split(",") if key.strip()]
    jscmd = (query.get("jscmd") or [""])[0]
    result: dict[str, Any] = {}
    for bibkey in bibkeys:
        isbn = bibkey_isbn(bibkey)
        found = lookup(isbn) if isbn else None
        if found is None:
            continue
        edition, work, authors = found
        result[bibkey] = (
            data_record(edition, work, authors)
            if jscmd == "data"
            else viewapi_record(bibkey, edition)
        )
    text = json.dumps(result)
    if (query.get("format") or [""])[0].lower() == "json":
        return text.encode()
    if query.get("callback"):
        return text.encode()
    return f"var _OLBookInfo = {text};".encode()


def title_author_groups(q: str) -> list[tuple[str, str]]:
    """The (title, author) phrases of a fielded query; author "" when a group names none."""
    return [(title, author or "") for title, author in _GROUP.findall(q)]
