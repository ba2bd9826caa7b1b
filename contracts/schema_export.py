"""The JSON Schema of every v1 contract, committed under contracts/schemas/.

`python -m contracts.schema_export` rewrites contracts/schemas/*.json from the code; a test
fails when the committed files and the code disagree, so a contract change is always a
visible diff of its schema.
"""

from __future__ import annotations

import json
import pathlib
import sys
from typing import Any

import msgspec

from contracts.codec import CONTRACTS

SCHEMA_DIR = pathlib.Path(__file__).resolve().parent / "schemas"


def contract_tag(contract: type[Any]) -> str:
    tag = msgspec.inspect.type_info(contract).tag  # type: ignore[attr-defined]
    if not isinstance(tag, str):
        raise TypeError(f"{contract.__name__} has no string tag")
    return tag


def schema_file_name(contract: type[Any]) -> str:
    return f"{contract_tag(contract)}.json"


def render_schemas() -> dict[str, str]:
    """File name -> JSON text, for every contract: stable key order, trailing newline."""
    rendered = {}
    for contract in CONTRACTS:
        schema = msgspec.json.schema(contract)
        text = json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        rendered[schema_file_name(contract)] = text
    return rendered


def write_schemas(directory: pathlib.Path = SCHEMA_DIR) -> list[pathlib.Path]:
    """Writes every schema and removes schemas of contracts that no longer exist."""
    directory.mkdir(parents=True, exist_ok=True)
    rendered = render_schemas()
    for stale in directory.glob("*.json"):
        if stale.name not in rendered:
            stale.unlink()
    written = []
    for name, text in rendered.items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main() -> int:
    for path in write_schemas():
        print(path.relative_to(SCHEMA_DIR.parent.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
