"""Resident ID numbers: GB 11643 checksum, birth date, masking."""

from __future__ import annotations

import pytest

from nlu.entities.idcard import (
    check_digit,
    find_id_numbers,
    is_valid_id_number,
    mask_id_number,
)


def make_id(first17: str) -> str:
    """A valid ID number from its first 17 digits (computed independently of the module)."""
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    total = sum(int(c) * w for c, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


BODIES = [
    "33068119900101123",  # Zhuji, 1990-01-01
    "33068119551231002",
    "11010519491231002",  # GB 11643 standard example: 11010519491231002X
    "44030420000229561",  # leap day
    "33062419780615233",
    "51010219871120041",
    "33068120100808007",
]


@pytest.mark.parametrize("body", BODIES)
def test_generated_ids_are_valid(body: str) -> None:
    number = make_id(body)
    assert check_digit(body) == number[-1]
    assert is_valid_id_number(number)
    assert is_valid_id_number(number.lower())
    assert is_valid_id_number(f" {number[:6]} {number[6:14]} {number[14:]} ")


def test_standard_example() -> None:
    assert make_id("11010519491231002") == "11010519491231002X"
    assert is_valid_id_number("11010519491231002x")


@pytest.mark.parametrize(
    "number",
    [
        make_id("33068119900101123")[:-1] + "0",  # wrong check digit
        make_id("33068119900230123"),  # 30 February
        make_id("33068118890101123"),  # born before 1900
        make_id("33068121990101123"),  # born in the future
        make_id("99068119900101123"),  # no such province
        "3306811990010112",  # too short
        "33068119900101123A",
        "",
    ],
)
def test_invalid_ids(number: str) -> None:
    assert not is_valid_id_number(number)


def test_find_id_numbers_only_valid_ones() -> None:
    good = make_id("33068119900101123")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    x_id = make_id("11010519491231002").lower()
    text = f"我身份证{good}，他的是{x_id}，写错的{bad}"
    found = find_id_numbers(text)
    assert [e.value for e in found] == [good, x_id.upper()]
    assert all(text[e.start : e.end] == e.text and e.type == "id_number" for e in found)


def test_mask_id_number() -> None:
    number = make_id("11010519491231002")
    masked = mask_id_number(number)
    assert masked == "110*************2X"
    assert len(masked) == 18
    assert "19491231" not in masked
