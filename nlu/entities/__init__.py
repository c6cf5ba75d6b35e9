"""All entities of a message in one list: ID numbers, phones, dates, amounts, places, roles,
headcounts.

Overlaps are resolved by type priority, then length: an ID number is not also a phone, a
phone is not also an amount or a date, a date (2023年) is not also an amount. A place and a
party role may share characters (枫桥镇政府: the place 枫桥镇, the role government;
王家村委会: 王家村 and village_committee), because they answer different questions; so may a
headcount and a role (三十多个工友: 30 people, and co-workers as the role).
"""

from __future__ import annotations

from datetime import date

from nlu.entities.dates import find_dates
from nlu.entities.headcount import find_headcounts
from nlu.entities.idcard import find_id_numbers
from nlu.entities.money import find_amounts
from nlu.entities.parties import find_party_roles
from nlu.entities.phones import find_phones
from nlu.gazetteer import Gazetteer
from nlu.types import Entity

_PRIORITY = {
    "id_number": 0,
    "phone": 1,
    "date": 2,
    "amount": 3,
    "place": 4,
    "party_role": 5,
    "headcount": 6,
}
_MAY_SHARE = frozenset({"place", "party_role", "headcount"})

__all__ = ["extract_entities"]


def _overlap(a: Entity, b: Entity) -> bool:
    return a.start < b.end and b.start < a.end


def _compatible(a: Entity, b: Entity) -> bool:
    if not _overlap(a, b):
        return True
    if a.type == b.type == "place" and (a.start, a.end) == (b.start, b.end):
        return True  # one name, villages of several towns: alternatives for the caller
    return a.type != b.type and {a.type, b.type} <= _MAY_SHARE


def extract_entities(
    text: str, *, gazetteer: Gazetteer | None = None, today: date | None = None
) -> list[Entity]:
    """Every entity in `text`, sorted by start offset, overlaps resolved (see module doc)."""
    if not text:
        return []
    candidates = [
        *find_id_numbers(text),
        *find_phones(text),
        *find_dates(text, today or date.today()),
        *find_amounts(text),
        *find_party_roles(text),
        *find_headcounts(text),
        *(gazetteer.find_places(text) if gazetteer is not None else ()),
    ]
    candidates.sort(key=lambda e: (_PRIORITY[e.type], e.start - e.end, e.start))
    kept: list[Entity] = []
    for entity in candidates:
        if all(_compatible(entity, k) for k in kept):
            kept.append(entity)
    return sorted(kept, key=lambda e: (e.start, e.end, _PRIORITY[e.type]))
