"""Masking personal data inside free text: log lines, pushes to staff, staff views.

The NLU's finders catch phone and ID numbers however residents type them (spaces, dashes,
full-width digits, +86); the plain patterns after them are a safety net for anything the
finders would not call a number (an ID that fails its checksum still looks like one).
"""

from __future__ import annotations

import re

from nlu.entities.idcard import find_id_numbers, mask_id_number
from nlu.entities.phones import find_phones, mask_phone

_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_ID_NUMBER = re.compile(r"(?<![0-9Xx])(\d{3})\d{13}([0-9Xx]{2})(?![0-9Xx])")


def mask_personal_data(text: str) -> str:
    found = [(e.start, e.end, mask_phone(str(e.value))) for e in find_phones(text)]
    found += [(e.start, e.end, mask_id_number(str(e.value))) for e in find_id_numbers(text)]
    edge = len(text)
    for start, end, masked in sorted(found, reverse=True):
        if end <= edge:  # spans never overlap, but never trust that with personal data
            text, edge = text[:start] + masked + text[end:], start
    text = _ID_NUMBER.sub(lambda m: f"{m.group(1)}{'*' * 13}{m.group(2)}", text)
    return _PHONE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)


def masked_preview(text: str, limit: int) -> str:
    """The start of a message, masked, for a push."""
    text = mask_personal_data(text).strip()
    return text if len(text) <= limit else text[:limit] + "…"
