"""Checks on free text that every conversation shares."""

from __future__ import annotations

import unicodedata


def is_meaningful(text: str) -> bool:
    """Has at least one letter, digit or Chinese character (not only emoji or punctuation)."""
    return any(unicodedata.category(ch)[0] in ("L", "N") for ch in text)


def meaningful_length(text: str) -> int:
    return sum(1 for ch in text if unicodedata.category(ch)[0] in ("L", "N"))
