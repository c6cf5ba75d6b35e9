"""18-digit PRC resident identity numbers (GB 11643-1999).

Only numbers that pass the checksum, start with a real province code and carry a plausible
birth date (1900 to today) count, so a long account or order number is not taken for one.
"""

from __future__ import annotations

import re
from datetime import date

from nlu.entities._text import fold
from nlu.types import Entity

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_PROVINCES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82", "83", "91",
})
_SHAPE = re.compile(r"\d{17}[\dX]")
_FIND = re.compile(r"(?<![0-9A-Za-z])\d{6}\s?\d{8}\s?\d{3}[\dXx](?![0-9A-Za-z])")


def check_digit(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def is_valid_id_number(s: str) -> bool:
    """True for a well-formed resident ID number (spaces and lower-case x tolerated)."""
    n = re.sub(r"\s", "", fold(s or "")).upper()
    if not _SHAPE.fullmatch(n) or n[:2] not in _PROVINCES:
        return False
    try:
        born = date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    except ValueError:
        return False
    if not date(1900, 1, 1) <= born <= date.today():
        return False
    return check_digit(n[:17]) == n[17]


def find_id_numbers(text: str) -> list[Entity]:
    """Valid ID numbers in a message; value is the upper-case 18-character string."""
    folded = fold(text)
    out: list[Entity] = []
    for m in _FIND.finditer(folded):
        if is_valid_id_number(m.group()):
            value = re.sub(r"\s", "", m.group()).upper()
            out.append(Entity("id_number", text[m.start():m.end()], value, m.start(), m.end()))
    return out


def mask_id_number(s: str) -> str:
    """Keep the first 3 and last 2 characters: '330*************1X' hides the birth date
    and the county of registration while staff can still tell two numbers apart."""
    n = re.sub(r"\s", "", fold(s or "")).upper()
    if len(n) <= 5:
        return "*" * len(n)
    return n[:3] + "*" * (len(n) - 5) + n[-2:]
