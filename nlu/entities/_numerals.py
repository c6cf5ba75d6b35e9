"""Chinese and Arabic numerals to numbers, shared by the money and date extractors.

Handles positional forms (一百二十万), spoken abbreviations (一万二 = 12000, 两千五 = 2500,
3万5 = 35000), decimals (1.5万, 一点五万), letter multipliers (2k, 3w), ranges (三四千) and
vague numbers. Vague parts resolve to a lower bound so an amount is never overstated:
几 counts 0 after a unit (十几万 -> 100000) and 1 when it leads (几千 -> 1000); a range
such as 三四千 or 一两万 keeps its smaller end; 多/来/余/把 (三万多, 十来万, 万把块) add nothing.
"""

from __future__ import annotations

import re

CN_DIGITS: dict[str, int] = {
    "零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "俩": 2, "三": 3, "叁": 3,
    "仨": 3, "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8,
    "捌": 8, "九": 9, "玖": 9,
}
SMALL_UNITS: dict[str, int] = {"十": 10, "拾": 10, "廿": 20, "百": 100, "佰": 100, "千": 1000,
                               "仟": 1000}
BIG_UNITS: dict[str, int] = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "k": 1000,
                             "K": 1000, "w": 10_000, "W": 10_000}
VAGUE = frozenset("多来余把左右")

_TOKEN = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?|点[零〇一二两三四五六七八九]+|.", re.S)


def parse_number(s: str) -> float | None:
    """Value of a numeral string, or None when it is not one."""
    total = 0.0  # parts already multiplied by 万/亿
    section = 0.0  # part below the next 万/亿
    pending: float | None = None  # digits not yet multiplied
    last_unit = 0
    after_zero = False  # 一万零二: the trailing 2 is 2, not 2000
    prev_cn: int | None = None  # last single Chinese digit, for ranges and digit strings
    digit_string = False  # 二零二三
    seen = False
    for tok in _TOKEN.findall(s):
        seen = True
        if tok[0].isdigit():
            if pending is not None:
                return None
            pending, prev_cn = float(tok.replace(",", "")), None
        elif tok[0] == "点":
            if pending is None:
                return None
            pending += float("0." + "".join(str(CN_DIGITS[c]) for c in tok[1:]))
            prev_cn = None
        elif tok in CN_DIGITS:
            d = CN_DIGITS[tok]
            if pending is not None and prev_cn is not None:
                if d == prev_cn + 1 and not digit_string:  # 三四千: keep the lower end
                    prev_cn = d
                    continue
                pending, prev_cn, digit_string = pending * 10 + d, d, True
            elif d == 0:
                after_zero, prev_cn = True, None
            elif pending is not None:
                return None
            else:
                pending, prev_cn = float(d), d
        elif tok == "几":
            pending = 0.0 if (section or total) else 1.0
            prev_cn = None
        elif tok in SMALL_UNITS:
            unit = SMALL_UNITS[tok]
            section += (pending if pending is not None else 1.0) * unit
            last_unit = 10 if tok == "廿" else unit
            pending, prev_cn, after_zero = None, None, False
        elif tok in BIG_UNITS:
            unit = BIG_UNITS[tok]
            value = section + (pending or 0.0)
            if value == 0 and not total:
                value = 1.0  # 万把块: "about ten thousand"
            total = (total + value) * unit if unit >= 100_000_000 else total + value * unit
            section, pending, prev_cn, last_unit, after_zero = 0.0, None, None, unit, False
        elif tok in VAGUE:
            continue
        else:
            return None
    if not seen:
        return None
    if digit_string and (last_unit or (pending is not None and pending < 100)):
        return None  # 三两 (weight), 两百八一: not numbers we trust
    if pending is not None:
        if last_unit >= 10 and not after_zero and not digit_string and pending < 10:
            pending *= last_unit / 10  # 一万二, 两千五, 3万5, 十二
        total += pending
    return total + section
