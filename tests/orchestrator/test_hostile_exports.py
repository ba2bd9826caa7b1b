"""Exports made to hurt: cells of thousands of digits, impossible dates, absurd counts, two
exports joined into one file. Each was found by trying the pipeline as a new user would
(issue 14, bugs 1, 4 and 5); each test holds the fix."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import boto3
import msgspec
import pytest

from contracts.messages import JobStatus
from local_runtime.resources import ServiceEnvironment
from services.orchestrator import orchestrate
from services.orchestrator.export_format import (
    MAX_OWNED_COPIES,
    MAX_READ_COUNT,
    SHOWN_CHARACTERS,
)
from services.orchestrator.orchestrate import UNWRITABLE_RECORD, Clients, Upload, run_job
from services.orchestrator.parser import ExportRejected, ParsedExport, parse_export
from services.orchestrator.settings import Settings
from tests.support.exports import HEADER_24, HEADER_31, synthetic_export
from tests.support.jobs import read_job_item

AwsFixture = tuple[boto3.Session, ServiceEnvironment]
UPLOADED_ON = dt.date(2026, 5, 1)
NOW = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
NUMERIC_COLUMNS = (
    "Number of Pages",
    "My Rating",
    "Average Rating",
    "Year Published",
    "Original Publication Year",
    "Read Count",
    "Owned Copies",
)
# A message names the column, quotes at most SHOWN_CHARACTERS of the cell and says what was
# done: a few hundred characters at the very most, whatever the cell held.
LONGEST_MESSAGE = 300


def _csv(*rows: dict[str, str], header: tuple[str, ...] = HEADER_24) -> bytes:
    lines = [",".join(header)]
    for number, cells in enumerate(rows, start=1):
        values = {
            "Book Id": str(number),
            "Title": f"Book {number}",
            "Author": "Ann Author",
            "Exclusive Shelf": "read",
            "Date Added": "2024/06/01",
            **cells,
        }
        lines.append(",".join(_quote(values.get(name, "")) for name in header))
    return ("\n".join(lines) + "\n").encode()


def _quote(value: str) -> str:
    if any(char in value for char in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _parse(data: bytes) -> ParsedExport:
    return parse_export(data, uploaded_on=UPLOADED_ON)


def _clock() -> dt.datetime:
    return NOW


# --- Bug 1: no warning carries an unbounded value; the job item stays small ---------------------


@pytest.mark.parametrize("column", NUMERIC_COLUMNS)
@pytest.mark.parametrize("digits", [4_300, 4_301, 100_000])
def test_a_warning_quotes_only_the_start_of_a_huge_number(column: str, digits: int) -> None:
    # 4,300 digits is the most int() converts; one more takes the float path; 100,000 is a
    # cell of 100 KB.
    parsed = _parse(_csv({column: "9" * digits}))

    (warning,) = parsed.warnings
    assert warning.column == column
    assert len(warning.message) <= LONGEST_MESSAGE
    assert "9" * SHOWN_CHARACTERS in warning.message
    assert "9" * (SHOWN_CHARACTERS + 1) not in warning.message
    assert f"({digits:,} characters)" in warning.message
    (book,) = parsed.books
    assert msgspec.structs.asdict(book) == msgspec.structs.asdict(
        _parse(_csv({column: ""})).books[0]
    )


def test_every_warning_of_a_hostile_file_is_short() -> None:
    long = "1" * 50_000
    cells = {column: long for column in NUMERIC_COLUMNS}
    cells |= {"Date Read": long, "Date Added": long, "ISBN": long, "ISBN13": long}
    cells |= {"Book Id": long, "Spoiler": long}
    parsed = _parse(_csv(cells, cells))

    assert len(parsed.warnings) >= 2 * len(cells)
    assert max(len(warning.message) for warning in parsed.warnings) <= LONGEST_MESSAGE


def test_the_reported_431_kb_export_is_queued_and_its_job_item_stays_small(
    aws: AwsFixture, settings: Settings, clients: Clients, upload: Callable[..., Upload]
) -> None:
    # 100 rows whose Number of Pages is 4,300 digits: every attempt used to fail with
    # "Item size to update has exceeded the maximum allowed size", the job stayed RECEIVED.
    data = _csv(*({"Number of Pages": "7" * 4_300} for _ in range(100)))
    assert len(data) > 430_000
    job = upload(data)

    outcome = run_job(job, settings, clients, _clock)

    assert outcome.status == JobStatus.QUEUED and outcome.total == 100
    record = clients.jobs.get(job.job_id)
    assert record is not None and record.warnings_count == 100
    assert all(warning.column == "Number of Pages" for warning in record.warnings)
    item_size = len(json.dumps(read_job_item(*aws, job.job_id)))
    assert item_size < 40_000


def test_the_job_item_keeps_at_most_100_warnings_and_32_kb_of_them(
    settings: Settings, clients: Clients, upload: Callable[..., Upload]
) -> None:
    long = "8" * 4_300
    job = upload(_csv(*({column: long for column in NUMERIC_COLUMNS} for _ in range(300))))

    run_job(job, settings, clients, _clock)

    record = clients.jobs.get(job.job_id)
    assert record is not None
    assert record.warnings_count == 300 * len(NUMERIC_COLUMNS)
    assert 0 < len(record.warnings) <= orchestrate.RECORD_WARNINGS
    stored = sum(len(msgspec.json.encode(warning)) for warning in record.warnings)
    assert stored <= orchestrate.RECORD_WARNINGS_BYTES


def test_a_job_whose_record_the_database_refuses_ends_failed_with_a_reason(
    monkeypatch: pytest.MonkeyPatch,
    aws: AwsFixture,
    settings: Settings,
    clients: Clients,
    upload: Callable[..., Upload],
    queued_bodies: Callable[[], list[str]],
) -> None:
    # Were the caps ever lifted, DynamoDB (moto) would refuse the item as over 400 KB: the job
    # must end FAILED with a reason, not stay RECEIVED through every retry.
    monkeypatch.setattr(orchestrate, "RECORD_WARNINGS", 100_000)
    monkeypatch.setattr(orchestrate, "RECORD_WARNINGS_BYTES", 10**9)
    long = "6" * 4_300
    job = upload(_csv(*({column: long for column in NUMERIC_COLUMNS} for _ in range(1_000))))

    outcome = run_job(job, settings, clients, _clock)

    assert outcome.status == JobStatus.FAILED
    assert outcome.error == UNWRITABLE_RECORD
    record = clients.jobs.get(job.job_id)
    assert record is not None
    assert record.status == JobStatus.FAILED and record.error == UNWRITABLE_RECORD
    assert record.finished_at == NOW
    assert queued_bodies() == []


def test_a_header_name_of_100_000_characters_still_fails_the_job_with_a_short_reason(
    settings: Settings, clients: Clients, upload: Callable[..., Upload]
) -> None:
    header = ("Book Id", "Title", "Author", "Exclusive Shelf", "X" * 100_000)
    data = (",".join(header) + "\n1,T,A,read\n").encode()  # a row one field short
    job = upload(data)

    outcome = run_job(job, settings, clients, _clock)

    assert outcome.status == JobStatus.FAILED
    assert outcome.error is not None and len(outcome.error) <= orchestrate.MAX_ERROR_CHARACTERS
    assert "'XXXX" in outcome.error and "(100,000 characters)" in outcome.error


# --- Bug 4: one date rule, whichever path read the cell -----------------------------------------


def test_0001_01_01_reads_the_same_whether_or_not_another_date_of_its_chunk_is_malformed() -> None:
    alone = _parse(_csv({"Date Read": "0001/01/01"}, {"Date Read": "2024/01/01"}))
    beside_a_bad_date = _parse(_csv({"Date Read": "0001/01/01"}, {"Date Read": "2024/13/45"}))

    for parsed in (alone, beside_a_bad_date):
        assert parsed.books[0].date_read is None
        assert (1, "Date Read", "Date Read 0001/01/01 is before 1900; ignored.") in [
            (w.row_number, w.column, w.message) for w in parsed.warnings
        ]


@pytest.mark.parametrize("text", ["2099/12/31", "9999/12/31", "2026/05/03"])
@pytest.mark.parametrize("column", ["Date Read", "Date Added"])
def test_a_date_after_the_day_of_the_upload_is_ignored_with_a_warning(
    column: str, text: str
) -> None:
    parsed = _parse(_csv({column: text}, {}))

    field = "date_read" if column == "Date Read" else "date_added"
    assert getattr(parsed.books[0], field) is None
    assert [(w.row_number, w.column) for w in parsed.warnings] == [(1, column)]
    assert "after the day of the upload (2026/05/01)" in parsed.warnings[0].message


def test_a_date_of_the_upload_day_or_the_next_is_possible() -> None:
    # The next day too: the reader's time zone may be ahead of UTC.
    parsed = _parse(_csv({"Date Added": "2026/05/02", "Date Read": "2026/05/01"}))

    assert (parsed.books[0].date_added, parsed.books[0].date_read) == (
        dt.date(2026, 5, 2),
        dt.date(2026, 5, 1),
    )
    assert parsed.warnings == []


def test_a_date_read_after_the_latest_date_added_plus_a_day_is_kept_with_a_warning() -> None:
    parsed = _parse(
        _csv(
            {"Date Added": "2024/03/01", "Date Read": "2024/03/02"},  # the next day: fine
            {"Date Added": "2024/02/01", "Date Read": "2024/03/03"},  # two days after
        )
    )

    assert [book.date_read for book in parsed.books] == [dt.date(2024, 3, 2), dt.date(2024, 3, 3)]
    assert [(w.row_number, w.column, w.message) for w in parsed.warnings] == [
        (
            2,
            "Date Read",
            "Date Read 2024/03/03 is after the export's latest Date Added (2024/03/01); "
            "kept, but check it.",
        )
    ]


def test_an_impossible_date_added_does_not_date_the_export() -> None:
    parsed = _parse(
        _csv({"Date Added": "9999/12/31"}, {"Date Added": "2024/01/01", "Date Read": "2025/06/01"})
    )

    assert parsed.books[0].date_added is None
    assert [(w.row_number, w.column) for w in parsed.warnings] == [
        (1, "Date Added"),
        (2, "Date Read"),
    ]


# --- Bug 5: counts with bounds, a second header line recognised ---------------------------------


@pytest.mark.parametrize(
    ("column", "field", "limit"),
    [
        ("Read Count", "read_count", MAX_READ_COUNT),
        ("Owned Copies", "owned_copies", MAX_OWNED_COPIES),
    ],
)
def test_counts_above_their_bound_are_ignored_with_a_warning(
    column: str, field: str, limit: int
) -> None:
    parsed = _parse(_csv({column: str(limit)}, {column: str(limit + 1)}, {column: "9" * 20}))

    assert [getattr(book, field) for book in parsed.books] == [limit, None, None]
    assert [(w.row_number, w.column) for w in parsed.warnings] == [(2, column), (3, column)]
    assert f"is out of range (0 to {limit:,}); ignored." in parsed.warnings[0].message


def test_two_exports_joined_into_one_file_give_their_books_and_a_rejected_header_line() -> None:
    first, second = synthetic_export(30, seed=5), synthetic_export(20, seed=6)
    joined = first.data + second.data  # the second file starts with its header line

    parsed = _parse(joined)

    assert len(parsed.books) + len(parsed.rejected) == 30 + 1 + 20
    (header_line,) = parsed.rejected
    assert header_line.row_number == 31
    assert "repeats the header line" in header_line.reason
    assert "two exports joined" in header_line.reason
    assert "Title" not in {book.title for book in parsed.books}
    assert [book.title for book in parsed.books] == [
        book.title for book in (*first.books, *second.books)
    ]


def test_two_exports_of_different_layouts_joined_are_refused_with_a_message_saying_so() -> None:
    older = _csv({}, header=HEADER_31)
    newer = _csv({}, {}, header=HEADER_24)

    with pytest.raises(ExportRejected) as rejected:
        _parse(newer + older)

    message = rejected.value.message
    assert message.startswith("The file holds a second header line at row 3 (line 4)")
    assert "31 columns where the first has 24" in message
