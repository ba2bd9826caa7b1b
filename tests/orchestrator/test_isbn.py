"""ISBN cleaning: formula cells, check digits, ISBN-10 to ISBN-13, and the bulk validators."""

from __future__ import annotations

import random

import pytest

from services.orchestrator.isbn import (
    is_valid_isbn10,
    is_valid_isbn13,
    isbn10_to_isbn13,
    strip_formula,
    strip_formulas,
    valid_isbn10s,
    valid_isbn13s,
)


def _reference_isbn10(code: str) -> bool:
    if (
        len(code) != 10
        or any(c not in "0123456789" for c in code[:9])
        or code[9] not in "0123456789X"
    ):
        return False
    total = sum((10 - i) * int(c) for i, c in enumerate(code[:9]))
    return (total + (10 if code[9] == "X" else int(code[9]))) % 11 == 0


def _reference_isbn13(code: str) -> bool:
    if (
        len(code) != 13
        or any(c not in "0123456789" for c in code)
        or code[:3] not in ("978", "979")
    ):
        return False
    return sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(code)) % 10 == 0


@pytest.mark.parametrize(
    ("cell", "digits"),
    [
        ('="0439023483"', "0439023483"),
        ('=""', ""),
        ("", ""),
        ("0-439-02348-3", "0439023483"),
        ('="080442957x"', "080442957X"),
        ("978 0 439 02348 1", "9780439023481"),
    ],
)
def test_formula_cells_give_their_digits(cell: str, digits: str) -> None:
    assert strip_formula(cell) == digits


def test_known_isbns_validate_and_convert() -> None:
    assert is_valid_isbn10("0439023483") and is_valid_isbn10("080442957X")
    assert not is_valid_isbn10("0439023484") and not is_valid_isbn10("04390234X3")
    assert is_valid_isbn13("9780439023481") and is_valid_isbn13("9791032305690")
    assert not is_valid_isbn13("9780439023482") and not is_valid_isbn13("9770439023481")
    assert isbn10_to_isbn13("0439023483") == "9780439023481"
    assert isbn10_to_isbn13("080442957X") == "9780804429573"


def test_non_ascii_digits_are_not_isbns() -> None:
    assert not is_valid_isbn13("９７８０４３９０２３４８１")
    assert not is_valid_isbn10("٠٤٣٩٠٢٣٤٨٣")


def test_bulk_validators_agree_with_the_definition_on_random_codes() -> None:
    rng = random.Random(5)
    tens = [
        "".join(rng.choices("0123456789", k=9)) + rng.choice("0123456789X") for _ in range(3000)
    ]
    thirteens = [
        rng.choice(("978", "979", "977")) + "".join(rng.choices("0123456789", k=10))
        for _ in range(3000)
    ]
    assert valid_isbn10s(tens) == [_reference_isbn10(code) for code in tens]
    assert valid_isbn13s(thirteens) == [_reference_isbn13(code) for code in thirteens]
    assert any(valid_isbn10s(tens)) and not all(valid_isbn10s(tens))


def test_bulk_validators_fall_back_for_codes_of_other_shapes() -> None:
    codes = [
        "0439023483",
        "X439023483",
        "043902348",
        "04390234833",
        "abcdefghij",
        "",
        "9780439023481",
    ]
    assert valid_isbn10s(codes) == [_reference_isbn10(code) for code in codes]
    assert valid_isbn13s(codes) == [_reference_isbn13(code) for code in codes]
    assert valid_isbn10s([]) == [] and valid_isbn13s([]) == []


def test_strip_formulas_works_on_a_whole_column() -> None:
    assert strip_formulas(['="0439023483"', '=""', "", '="979-1-0323-0569-0"']) == [
        "0439023483",
        "",
        "",
        "9791032305690",
    ]
