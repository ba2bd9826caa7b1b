"""The evolution rules of contracts/README.md, one test each."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import msgspec
import pytest

from contracts import codec
from contracts.books import Book
from contracts.messages import BookResult, BookTask, EnrichmentStatus, JobManifest

QUEUED_AT = dt.datetime(2026, 3, 14, 9, 26, 53, tzinfo=dt.UTC)
JOB_ID = "3f0c9a52-7d1e-4b8a-9c4f-2e6d5b1a0c77"


def _task() -> BookTask:
    return BookTask(
        job_id=JOB_ID,
        book_id="gr2767052",
        title="The Hunger Games",
        author="Suzanne Collins",
        isbn13="9780439023481",
        queued_at=QUEUED_AT,
    )


def _as_json(message: Any) -> dict[str, Any]:
    data = json.loads(codec.encode(message))
    assert isinstance(data, dict)
    return data


def test_a_message_with_an_unknown_extra_field_still_decodes() -> None:
    data = _as_json(_task()) | {"priority": 7, "trace": {"id": "abc"}}
    assert codec.task_decoder.decode(json.dumps(data)) == _task()


def test_an_unknown_field_inside_a_nested_struct_is_ignored_too() -> None:
    book = Book(book_id="gr1", row_number=1, title="T", author="A", exclusive_shelf="read")
    manifest = JobManifest(
        job_id=JOB_ID,
        source_key=f"uploads/{JOB_ID}/export.csv",
        created_at=QUEUED_AT,
        header_variant="24",
        books=(book,),
    )
    data = _as_json(manifest)
    data["books"][0]["mood"] = "hopeful"
    assert codec.manifest_decoder.decode(json.dumps(data)) == manifest


def test_a_message_missing_a_field_that_has_a_default_decodes_to_the_default() -> None:
    data = _as_json(_task())
    del data["isbn13"], data["isbn10"]
    decoded = codec.task_decoder.decode(json.dumps(data))
    assert decoded.isbn13 is None and decoded.isbn10 is None
    assert decoded.title == "The Hunger Games"


def test_a_message_missing_a_required_field_is_rejected_naming_the_field() -> None:
    data = _as_json(_task())
    del data["title"]
    with pytest.raises(codec.DecodeError, match="missing required field `title`"):
        codec.task_decoder.decode(json.dumps(data))


def test_an_unknown_tag_is_rejected_with_an_error_naming_the_tag_and_the_field() -> None:
    data = _as_json(_task()) | {"type": "book.task.v2"}
    with pytest.raises(codec.DecodeError) as raised:
        codec.task_decoder.decode(json.dumps(data))
    assert "book.task.v2" in str(raised.value)
    assert "$.type" in str(raised.value)


def test_a_message_without_a_tag_decodes_as_its_channels_type() -> None:
    """msgspec checks the tag when present; a channel has one type, so none is needed to pick."""
    data = _as_json(_task())
    del data["type"]
    assert codec.task_decoder.decode(json.dumps(data)) == _task()


def test_a_message_of_another_channel_is_rejected_not_misread() -> None:
    result = BookResult(
        job_id=JOB_ID,
        book_id="gr2767052",
        status=EnrichmentStatus.ENRICHED,
        processed_at=QUEUED_AT,
    )
    with pytest.raises(codec.DecodeError, match="book.result.v1"):
        codec.task_decoder.decode(codec.encode(result))


def test_an_unknown_enum_value_is_rejected() -> None:
    result = BookResult(
        job_id=JOB_ID, book_id="gr1", status=EnrichmentStatus.SKIPPED, processed_at=QUEUED_AT
    )
    data = _as_json(result) | {"status": "guessed"}
    with pytest.raises(codec.DecodeError, match="guessed"):
        codec.result_decoder.decode(json.dumps(data))


def test_a_v2_struct_can_be_decoded_beside_v1_by_tag() -> None:
    """The documented path for a breaking change: a new tag, both decoded until v1 drains."""

    class BookTaskV2(
        msgspec.Struct, frozen=True, kw_only=True, tag="book.task.v2", tag_field="type"
    ):
        job_id: str
        book_id: str
        query: str
        queued_at: dt.datetime

    both = msgspec.json.Decoder(BookTask | BookTaskV2)
    v2 = BookTaskV2(job_id=JOB_ID, book_id="gr1", query="hunger games", queued_at=QUEUED_AT)
    assert both.decode(codec.encode(_task())) == _task()
    assert both.decode(codec.encode(v2)) == v2
