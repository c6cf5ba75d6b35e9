"""Chinese phone numbers: mobiles as 11 digits, landlines as "0575-87654321".

Tolerant of spaces, dashes, dots, brackets, full-width digits and a +86/0086/86 prefix,
because residents type numbers the way they read them out.
"""

from __future__ import annotations

import re

from nlu.entities._text import fold
from nlu.types import Entity

_MOBILE = re.compile(r"1[3-9]\d{9}")
_SEPARATORS = re.compile(r"[\s\-.()\[\]·_]")
_PREFIX = re.compile(r"^(?:\+|00)?86")
# In running text: a mobile with optional prefix and separators, or a landline.
_FIND = re.compile(
    r"(?<![\d+])(?:(?:\+|00)?86[\s-]?)?(?:\(?)"
    r"(?:1[3-9]\d(?:[\s-]?\d){8}"
    r"|0\d{2,3}\)?[\s-]?\d{3,4}[\s-]?\d{4})"
    r"(?![\d])"
)


def _landline(digits: str) -> str | None:
    """'057587654321' -> '0575-87654321'; 3-digit area codes are 010 and 02X."""
    area = 3 if digits[1] in "12" else 4
    local = digits[area:]
    if len(local) in (7, 8) and local[0] != "0":
        return f"{digits[:area]}-{local}"
    return None


def normalize_phone(text: str) -> str | None:
    """The phone number a whole answer gives, normalised, or None.

    Falls back to the first number found in the text ("我电话是138 1234 5678").
    """
    if not text:
        return None
    raw = _SEPARATORS.sub("", fold(text).strip())
    stripped = _PREFIX.sub("", raw) if len(raw) > 11 else raw
    if _MOBILE.fullmatch(stripped):
        return stripped
    if raw.isdigit() and raw.startswith("0") and 10 <= len(raw) <= 12:
        found = _landline(raw)
        if found:
            return found
    phones = find_phones(text)
    return str(phones[0].value) if phones else None


def _normalise_found(chunk: str) -> str | None:
    digits = re.sub(r"\D", "", chunk)
    if len(digits) > 11 and chunk.lstrip("(").startswith(("+86", "0086", "86")):
        digits = _PREFIX.sub("", digits)
    if _MOBILE.fullmatch(digits):
        return digits
    if digits.startswith("0") and 10 <= len(digits) <= 12:
        return _landline(digits)
    return None


def find_phones(text: str) -> list[Entity]:
    """Phone numbers in a message; value is the normalised number."""
    folded = fold(text)
    out: list[Entity] = []
    for m in _FIND.finditer(folded):
        value = _normalise_found(m.group())
        if value:
            out.append(Entity("phone", text[m.start():m.end()], value, m.start(), m.end()))
    return out


def mask_phone(s: str) -> str:
    """'13812345678' -> '138****5678'; '0575-87654321' -> '0575-****4321'.

    Unrecognised input keeps only its last 4 characters visible.
    """
    phone = normalize_phone(s) if s else None
    if phone and "-" in phone:
        area, local = phone.split("-", 1)
        return f"{area}-{'*' * (len(local) - 4)}{local[-4:]}"
    if phone:
        return f"{phone[:3]}****{phone[7:]}"
    if not s:
        return ""
    return "*" * max(len(s) - 4, 0) + s[-4:]
