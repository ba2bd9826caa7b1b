"""Hypothesis strategies: any message of the contracts, export-like files, HTTP API events.

Messages are built from msgspec's own description of each struct (`msgspec.inspect`), so a
field added to a contract is fuzzed without a change here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import msgspec.inspect as mi
from hypothesis import strategies as st

from services.orchestrator.export_format import HEADER_31

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
FINITE_FLOATS = st.floats(allow_nan=False, allow_infinity=False)
# Fixed offsets as JSON carries them; naive datetimes round-trip as naive.
TIMEZONES = st.sampled_from(
    [dt.UTC, dt.timezone(dt.timedelta(hours=5, minutes=30)), dt.timezone(-dt.timedelta(hours=8))]
)


def for_type(info: mi.Type) -> st.SearchStrategy[Any]:
    """Any value of a msgspec type, as its encoder and decoders accept it."""
    if isinstance(info, mi.StructType):
        return for_struct(info.cls)
    if isinstance(info, mi.StrType):
        return st.text(max_size=30)
    if isinstance(info, mi.BoolType):
        return st.booleans()
    if isinstance(info, mi.IntType):
        return INT64
    if isinstance(info, mi.FloatType):
        return FINITE_FLOATS
    if isinstance(info, mi.NoneType):
        return st.none()
    if isinstance(info, mi.DateTimeType):
        return st.datetimes(timezones=st.none() | TIMEZONES)
    if isinstance(info, mi.DateType):
        return st.dates()
    if isinstance(info, mi.EnumType):
        return st.sampled_from(list(info.cls))
    if isinstance(info, mi.LiteralType):
        return st.sampled_from(info.values)
    if isinstance(info, mi.UnionType):
        return st.one_of([for_type(member) for member in info.types])
    if isinstance(info, mi.VarTupleType):
        return st.lists(for_type(info.item_type), max_size=3).map(tuple)
    if isinstance(info, mi.ListType):
        return st.lists(for_type(info.item_type), max_size=3)
    raise TypeError(f"no strategy for {info!r}: add one to tests/fuzz/strategies.py")


def for_struct(cls: type[Any]) -> st.SearchStrategy[Any]:
    """Any instance of a msgspec struct: every field, optional ones present or defaulted."""
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    required = {field.name: for_type(field.type) for field in info.fields if field.required}
    optional = {field.name: for_type(field.type) for field in info.fields if not field.required}
    return st.fixed_dictionaries(required, optional=optional).map(lambda kwargs: cls(**kwargs))


def with_unknown_fields(value: Any, extra: dict[str, Any]) -> Any:
    """The builtins form of a message with `extra` added to every struct in it (structs are
    the only mappings the contracts have)."""
    if isinstance(value, dict):
        return {**extra, **{key: with_unknown_fields(item, extra) for key, item in value.items()}}
    if isinstance(value, list):
        return [with_unknown_fields(item, extra) for item in value]
    return value


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | INT64 | FINITE_FLOATS | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)


def unknown_fields(known: set[str]) -> st.SearchStrategy[dict[str, Any]]:
    names = st.text(min_size=1, max_size=12).filter(lambda name: name not in known)
    return st.dictionaries(names, JSON_VALUES, min_size=1, max_size=3)


def struct_field_names(*classes: type[Any]) -> set[str]:
    """Every field name (and the tag field) of these structs and the structs inside them."""
    names: set[str] = {"type"}
    pending = list(classes)
    seen: set[type[Any]] = set()
    while pending:
        cls = pending.pop()
        if cls in seen:
            continue
        seen.add(cls)
        info = mi.type_info(cls)
        assert isinstance(info, mi.StructType)
        for field in info.fields:
            names.add(field.encode_name)
            pending.extend(_structs_in(field.type))
    return names


def _structs_in(info: mi.Type) -> list[type[Any]]:
    if isinstance(info, mi.StructType):
        return [info.cls]
    if isinstance(info, mi.UnionType):
        return [cls for member in info.types for cls in _structs_in(member)]
    if isinstance(info, mi.VarTupleType | mi.ListType):
        return _structs_in(info.item_type)
    return []


# --- Export-like files ---------------------------------------------------------------------------

# Cells that real and hostile exports hold: typical values of every column and what breaks parsers.
_TYPICAL = {
    "Book Id": ["2767052", "1", "007", "", "  42 ", "abc", "99999999999999999999999"],
    "Title": ["The Hunger Games", "Dune (Dune, #1)", "", "   ", "Title", "Мастер и Маргарита"],
    "Author": ["Suzanne Collins", "J.R.R.  Tolkien", "", "Author", "村上 春樹"],
    "ISBN": ['="0439023483"', '=""', '="043902348X"', "0439023483", '="9780439023481"'],
    "ISBN13": ['="9780439023481"', '=""', '="9780000000001"', '="979"'],
    "My Rating": ["0", "5", "5.0", "4.5", "-1", "6", "great"],
    "Average Rating": ["4.34", "0.0", "5.01", "nan", "inf", "1e308"],
    "Number of Pages": ["374", "0", "", "-5", "1e3", "100001", "three hundred"],
    "Year Published": ["2008", "-800", "", "10000", "MCMXC"],
    "Original Publication Year": ["2008", "-800", "", "-10000", "1.5"],
    "Date Read": ["2024/01/15", "", "0001/01/01", "9999/12/31", "2099/12/31", "2023/02/30"],
    "Date Added": ["2023/12/02", "2026/05/02", "1899/12/31", "2024-01-15", "15/03/2021"],
    "Bookshelves": ["to-read", "fantasy, favorites", ",,", "A,  a , b"],
    "Exclusive Shelf": ["read", "to-read", "currently-reading", "dnf", "", "READ"],
    "My Review": ["Loved it.<br/>", "<script>alert(1)</script>", "", "line\nbreak"],
    "Spoiler": ["true", "", "false", "yes"],
    "Read Count": ["1", "0", "", "1000", "1001", "12.0"],
    "Owned Copies": ["0", "1", "1001", "-1"],
}
_HOSTILE = [
    "",
    " ",
    ",",
    '"',
    '""',
    "\n",
    "\r\n",
    "9" * 4_300,
    "1" * 5_000,
    "\u00a0",
    "\u2028",
    "\ufeff",
    "Book Id",
    "0001/01/01",
]
_EXTRA_COLUMNS = ["read_dates", "genres", "Book Id", "", "Title "]


_NUMBERS = st.from_regex(r"[0-9]{1,6}(\.[0-9]{1,3})?", fullmatch=True)
DATE_LIKE = st.from_regex(r"[0-9]{4}/[0-9]{2}/[0-9]{2}", fullmatch=True)
_CELLS = {
    column: st.one_of(
        st.sampled_from(_TYPICAL.get(column, [""]) + _HOSTILE),
        st.text(max_size=20),
        _NUMBERS,
        DATE_LIKE,
    )
    for column in [*HEADER_31, *_EXTRA_COLUMNS]
}


@st.composite
def export_csv(draw: st.DrawFn, max_rows: int = 12) -> bytes:
    """A well-formed CSV shaped like an export: a header of known (and unknown) columns, data
    rows of typical and hostile cells, sometimes a repeated header line, any line ending."""
    columns = draw(
        st.one_of(
            st.just(list(HEADER_31)),
            st.lists(st.sampled_from(list(HEADER_31) + _EXTRA_COLUMNS), min_size=1, max_size=12),
        )
    )
    header = list(columns)
    rows: list[list[str]] = []
    for _ in range(draw(st.integers(min_value=0, max_value=max_rows))):
        if draw(st.integers(min_value=0, max_value=15)) == 0:
            rows.append(list(header))  # a second export's header line
        elif draw(st.integers(min_value=0, max_value=20)) == 0:
            rows.append([])  # a blank line
        else:
            rows.append([draw(_CELLS[column]) for column in header])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(header)
    writer.writerows(rows)
    bom = draw(st.sampled_from([b"", b"\xef\xbb\xbf"]))
    return bom + buffer.getvalue().encode("utf-8")


def data_rows(data: bytes) -> int:
    """The data rows a parser must account for: non-blank CSV records after the header."""
    text = data.decode("utf-8-sig")
    records = [row for row in csv.reader(io.StringIO(text, newline=""), strict=True) if row]
    return max(0, len(records) - 1)


@st.composite
def mangled_export(draw: st.DrawFn) -> bytes:
    """An export-like file with a few bytes inserted, replaced or cut: broken quotes, stray
    commas, invalid UTF-8, NUL bytes, a file cut short."""
    data = bytearray(draw(export_csv(max_rows=6)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        position = draw(st.integers(min_value=0, max_value=len(data)))
        action = draw(st.sampled_from(["insert", "replace", "cut"]))
        noise = draw(st.sampled_from([b'"', b",", b"\n", b"\r", b"\x00", b"\xff", b"\xc3", b" "]))
        if action == "insert":
            data[position:position] = noise
        elif action == "replace" and position < len(data):
            data[position : position + 1] = noise
        else:
            del data[position:]
    return bytes(data)
