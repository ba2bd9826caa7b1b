"""Properties of the contracts, for any message (contracts/README.md, "Evolution rules").

- Every message round-trips: encoded, then decoded by its channel's decoder, it is the same.
- Unknown fields are ignored, at the top and in every struct inside a message.
- The job record round-trips through its DynamoDB item (contracts/storage.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from hypothesis import example, given
from hypothesis import strategies as st

from contracts import codec, storage
from contracts.messages import JobRecord
from tests.fuzz.profiles import examples
from tests.fuzz.strategies import (
    for_struct,
    struct_field_names,
    unknown_fields,
    with_unknown_fields,
)

DECODERS: dict[type[Any], msgspec.json.Decoder[Any]] = {
    decoder.type: decoder
    for decoder in (
        codec.task_decoder,
        codec.result_decoder,
        codec.manifest_decoder,
        codec.job_record_decoder,
        codec.completion_decoder,
        codec.dashboard_decoder,
    )
}


def test_every_contract_has_its_channels_decoder() -> None:
    assert set(DECODERS) == set(codec.CONTRACTS)


MESSAGES = st.one_of([for_struct(contract) for contract in codec.CONTRACTS])


@examples(200)
@given(MESSAGES)
def test_every_message_round_trips_through_its_channels_decoder(message: Any) -> None:
    decoded = DECODERS[type(message)].decode(codec.encode(message))

    assert decoded == message


@examples(150)
@given(st.data())
def test_unknown_fields_are_ignored_wherever_they_are(data: st.DataObject) -> None:
    contract = data.draw(st.sampled_from(codec.CONTRACTS))
    message = data.draw(for_struct(contract))
    extra = data.draw(unknown_fields(struct_field_names(contract)))
    newer = with_unknown_fields(msgspec.to_builtins(message), extra)

    decoded = DECODERS[contract].decode(msgspec.json.encode(newer))

    assert decoded == message


UTC_MOMENTS = st.datetimes(
    min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31), timezones=st.just(dt.UTC)
)


@examples(200)
@given(
    for_struct(JobRecord).map(
        lambda record: msgspec.structs.replace(
            record,
            **{
                name: value.replace(tzinfo=dt.UTC)
                for name in ("created_at", "updated_at", "queued_at", "deadline", "finished_at")
                if isinstance(value := getattr(record, name), dt.datetime)
            },
        )
    )
)
def test_the_job_record_round_trips_through_its_dynamodb_item(record: JobRecord) -> None:
    item = storage.job_record_to_item(record)

    assert storage.job_record_from_item(item) == record


@examples(200)
@given(UTC_MOMENTS, UTC_MOMENTS)
# Found by this property: strftime's %Y wrote year 999 as "999", which sorted after 2000 and
# did not parse back.
@example(dt.datetime(999, 1, 1, tzinfo=dt.UTC), dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
def test_stored_timestamps_sort_as_text_in_time_order(
    first: dt.datetime, second: dt.datetime
) -> None:
    # The open-jobs index sorts by deadline, and conditions compare leases, as text.
    texts = storage.format_timestamp(first), storage.format_timestamp(second)

    assert (texts[0] < texts[1]) == (first < second)
    assert storage.parse_timestamp(texts[0]) == first
