"""ISBN cleaning for the export's ISBN and ISBN13 columns.

Goodreads writes ISBNs as Excel formulas (`="0439023483"`, `=""` when empty). A value is kept
only when its check digit is right: a wrong ISBN sends enrichment to the wrong book, a missing
one only makes it fall back to title and author.
"""

from __future__ import annotations

import array
import itertools
import operator
import sys
from collections.abc import Sequence
from itertools import accumulate
from operator import mul

_DIGIT = ord("0")
_WITHOUT_DIGITS = str.maketrans("", "", "0123456789")
_DIGIT_VALUES = bytes.maketrans(b"0123456789X", bytes(range(11)))
# Check sums run over ASCII codes (C-level loops) rather than over int() of each digit.
_WEIGHTS_12 = (1, 3, 1, 3, 1, 3, 1, 3, 1, 3, 1, 3)


def strip_formulas(cells: Sequence[str]) -> list[str]:
    """The ISBN text of each cell, without the formula's `="…"`, hyphens or spaces.

    Done over a whole column at once (C-level string operations): the cells are joined with
    NUL, which a text CSV never contains. Whatever is left is checked by the validators.
    """
    joined = "\x00".join(cells)
    for noise in ("=", '"', "-", " "):
        if noise in joined:
            joined = joined.replace(noise, "")
    return joined.upper().split("\x00")


def strip_formula(cell: str) -> str:
    return strip_formulas((cell,))[0]


def _weighted(digits: str, weights: tuple[int, ...]) -> int:
    total: int = sum(map(mul, weights, digits.encode("ascii")))
    return total - _DIGIT * sum(weights)


def is_valid_isbn10(digits: str) -> bool:
    if len(digits) != 10 or not digits.isascii():
        return False
    if digits[9] == "X":  # check digit 10; ':' is the character after '9'
        digits = digits[:9] + ":"
    elif not digits[9].isdigit():
        return False
    if not digits[:9].isdigit():
        return False
    # The weights 10..1 equal the sum of the prefix sums; the ASCII offset (48 x 55) is 0 mod 11.
    return sum(accumulate(digits.encode("ascii"))) % 11 == 0


def is_valid_isbn13(digits: str) -> bool:
    if len(digits) != 13 or not digits.isascii() or not digits.isdigit():
        return False
    if digits[:3] not in ("978", "979"):
        return False
    # Weights 1,3,1,3…: all digits once plus the odd positions twice; the ASCII offset
    # (48 x 25) is 0 mod 10.
    codes = digits.encode("ascii")
    return (sum(codes) + 2 * sum(codes[1::2])) % 10 == 0


def valid_isbn10s(codes: Sequence[str]) -> list[bool]:
    """`is_valid_isbn10` for every code: in bulk when they all have the ISBN-10 shape."""
    if not _uniform(codes, 10, last_may_be_x=True):
        return list(map(is_valid_isbn10, codes))
    return _check_sums_divisible(codes, (10, 9, 8, 7, 6, 5, 4, 3, 2, 1), 11)


def valid_isbn13s(codes: Sequence[str]) -> list[bool]:
    """`is_valid_isbn13` for every code: in bulk when they all have the ISBN-13 shape."""
    if not _uniform(codes, 13, last_may_be_x=False):
        return list(map(is_valid_isbn13, codes))
    sums_ok = _check_sums_divisible(codes, (1, 3) * 6 + (1,), 10)
    joined = "".join(codes)
    if set(zip(joined[0::13], joined[1::13], joined[2::13], strict=True)) <= {
        ("9", "7", "8"),
        ("9", "7", "9"),
    }:
        return sums_ok
    return [ok and code[:3] in ("978", "979") for ok, code in zip(sums_ok, codes, strict=True)]


def _uniform(codes: Sequence[str], width: int, *, last_may_be_x: bool) -> bool:
    """Every code is `width` ASCII digits (an ISBN-10 may end in X)."""
    if not codes or set(map(len, codes)) != {width}:
        return False
    joined = "".join(codes)
    if not joined.isascii():
        return False
    rest = joined.translate(_WITHOUT_DIGITS)
    if not rest:
        return True
    return (
        last_may_be_x and set(rest) == {"X"} and joined[width - 1 :: width].count("X") == len(rest)
    )


def _check_sums_divisible(
    codes: Sequence[str], weights: tuple[int, ...], modulus: int
) -> list[bool]:
    """Whether each code's weighted digit sum is divisible by `modulus`, for all codes at once.

    The digits at one position of every code, one per 16-bit lane of a big integer, are added
    to a running big integer with that position's weight: a handful of C-level operations per
    position instead of a Python loop per code. A lane's sum is at most 10 x 55 = 550, so lanes
    never carry into each other. (Codes are ASCII digits, X counting as 10, as `_uniform` says.)
    """
    width = len(weights)
    digits = "".join(codes).encode("ascii").translate(_DIGIT_VALUES)
    lanes = bytearray(2 * len(codes))
    total = 0
    for position, weight in enumerate(weights):
        lanes[1::2] = digits[position::width]  # big-endian lanes: the low byte holds the digit
        total += weight * int.from_bytes(lanes, "big")
    sums = array.array("H", total.to_bytes(2 * len(codes), "big"))
    if sys.byteorder == "little":
        sums.byteswap()
    return [not remainder for remainder in map(operator.mod, sums, itertools.repeat(modulus))]


def isbn13_check_digit(first12: str) -> str:
    return str((10 - _weighted(first12, _WEIGHTS_12) % 10) % 10)


def isbn10_to_isbn13(isbn10: str) -> str:
    """The ISBN-13 of a valid ISBN-10: prefix 978 and recompute the check digit."""
    first12 = "978" + isbn10[:9]
    return first12 + isbn13_check_digit(first12)
