"""Phone numbers: normalising answers, finding them in messages, masking for display."""

from __future__ import annotations

import pytest

from nlu.entities.phones import find_phones, mask_phone, normalize_phone


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        (" 15868001234 ", "15868001234"),
        ("我的电话是19957512345", "19957512345"),
        ("0575-87654321", "0575-87654321"),
        ("0575 87654321", "0575-87654321"),
        ("057587654321", "0575-87654321"),
        ("(0575)87654321", "0575-87654321"),
        ("（0575）8765-4321", "0575-87654321"),
        ("010-62345678", "010-62345678"),
        ("0571-8765432", "0571-8765432"),
    ],
)
def test_normalize_phone(text: str, expected: str) -> None:
    assert normalize_phone(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "12345",
        "1381234567",
        "138123456789",
        "12812345678",
        "没有电话",
        "",
        "20231105",
        "330681199001011237",
    ],
)
def test_normalize_phone_rejects(text: str) -> None:
    assert normalize_phone(text) is None


def test_find_phones_in_message() -> None:
    text = "我电话13812345678，家里座机0575-87654321，身份证330681199001011237"
    found = find_phones(text)
    assert [(e.text, e.value) for e in found] == [
        ("13812345678", "13812345678"),
        ("0575-87654321", "0575-87654321"),
    ]
    assert all(text[e.start : e.end] == e.text and e.type == "phone" for e in found)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13812345678", "138****5678"),
        ("+86 138 1234 5678", "138****5678"),
        ("0575-87654321", "0575-****4321"),
        ("", ""),
        ("12345678", "****5678"),
    ],
)
def test_mask_phone(text: str, expected: str) -> None:
    assert mask_phone(text) == expected
