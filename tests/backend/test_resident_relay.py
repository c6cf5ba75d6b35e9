"""What staff are shown of a resident's message: phone and ID numbers masked however typed."""

from __future__ import annotations

import pytest

from backend.resident_relay import PREVIEW_CHARS, masked_preview


@pytest.mark.parametrize(
    ("text", "shown", "hidden"),
    [
        ("我电话13812345678", "138****5678", "12345678"),
        ("他电话 138 1234 5678 随时打", "138****5678", "1234 5678"),
        ("座机0575-87654321", "0575-****4321", "87654321"),
        ("＋86 138-1234-5678", "138****5678", "1234-5678"),
        ("身份证 330681199001011234", "330", "1990010112"),
        ("身份证 11010519491231002X", "110*************2X", "19491231"),
    ],
)
def test_numbers_are_masked(text: str, shown: str, hidden: str) -> None:
    preview = masked_preview(text)
    assert shown in preview and hidden not in preview


def test_long_messages_are_cut_after_masking() -> None:
    preview = masked_preview("说明" * 100 + "13812345678")
    assert len(preview) == PREVIEW_CHARS + 1 and preview.endswith("…")
    assert masked_preview("  昨晚又吵到两点  ") == "昨晚又吵到两点"
