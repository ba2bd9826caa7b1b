"""Messages written by v1 producers, committed under contracts/golden/, keep decoding."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import msgspec
import pytest

from contracts import codec
from contracts.schema_export import contract_tag

GOLDEN_DIR = pathlib.Path(codec.__file__).resolve().parent / "golden"
GOLDEN_FILES = sorted(GOLDEN_DIR.glob("*.json"))

DECODER_BY_TAG: dict[str, msgspec.json.Decoder[Any]] = {
    "book.task.v1": codec.task_decoder,
    "book.result.v1": codec.result_decoder,
    "job.manifest.v1": codec.manifest_decoder,
    "job.record.v1": codec.job_record_decoder,
    "job.completion.v1": codec.completion_decoder,
    "dashboard.v1": codec.dashboard_decoder,
}


def _tag_of(path: pathlib.Path) -> str:
    tag = json.loads(path.read_bytes())["type"]
    assert isinstance(tag, str)
    return tag


def test_every_v1_contract_has_golden_messages_with_and_without_defaulted_fields() -> None:
    tags = {contract_tag(contract) for contract in codec.CONTRACTS}
    assert set(DECODER_BY_TAG) == tags
    for tag in tags:
        files = [path for path in GOLDEN_FILES if path.name.startswith(f"{tag}.")]
        assert files, f"no golden message for {tag}"
        assert all(_tag_of(path) == tag for path in files)


@pytest.mark.parametrize("path", GOLDEN_FILES, ids=lambda path: path.name)
def test_golden_message_decodes_with_its_channel_decoder(path: pathlib.Path) -> None:
    message = DECODER_BY_TAG[_tag_of(path)].decode(path.read_bytes())
    # Decoding is lossless for what the file says: re-encoding keeps every field it set.
    reencoded = json.loads(codec.encode(message))
    original = json.loads(path.read_bytes())
    assert {key: reencoded[key] for key in original} == original


@pytest.mark.parametrize(
    "path",
    [path for path in GOLDEN_FILES if ".minimal." in path.name],
    ids=lambda path: path.name,
)
def test_minimal_golden_messages_lack_defaulted_fields_and_decode_to_the_defaults(
    path: pathlib.Path,
) -> None:
    original = json.loads(path.read_bytes())
    message = DECODER_BY_TAG[original["type"]].decode(path.read_bytes())
    absent_defaulted = [
        field
        for field in msgspec.structs.fields(type(message))
        if field.default is not msgspec.NODEFAULT and field.encode_name not in original
    ]
    assert absent_defaulted, "a minimal golden leaves out fields that have a default"
    for field in absent_defaulted:
        assert getattr(message, field.name) == field.default
