"""Phone and ID numbers are masked in any text staff or logs see, however they were typed."""

import pytest

from backend.masking import mask_personal_data, masked_preview


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("电话13812345678请回电", "电话138****5678请回电"),
        ("他电话 139 1234 5678 你打", "他电话 139****5678 你打"),
        ("手机138-1234-5678", "手机138****5678"),
        ("+86 138 1234 5678", "138****5678"),  # the finder takes the country code too
        ("电话１３８１２３４５６７８", "电话138****5678"),
        ("身份证330681199001011234", "身份证330*************34"),
        ("订单号 2023051212345678901 不动", "订单号 2023051212345678901 不动"),
        ("没有号码", "没有号码"),
    ],
)
def test_mask_personal_data(text: str, masked: str) -> None:
    result = mask_personal_data(text)
    assert "1234 5678" not in result and "12345678" not in result.replace("2023051212345678901", "")
    assert result == masked


def test_a_preview_is_masked_then_cut() -> None:
    preview = masked_preview("对方电话13812345678" + "很长" * 50, 20)
    assert preview == "对方电话138****5678很长很长很…"
