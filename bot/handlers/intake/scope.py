"""Whether a dispute crosses village or town lines: the places the account mentions against
the place the resident chose. Routing sends cross-village disputes to the town centre and
cross-town ones to the county centre (config/routing.yaml).
"""

from __future__ import annotations

from typing import Any

from bot.places import PlaceDirectory
from nlu.types import ParseResult

MENTIONS_KEY = "place_mentions"


def place_mentions(parsed: ParseResult, places: PlaceDirectory) -> list[list[list[str]]]:
    """Each place named in the account, as its alternatives [code, town code]: one name may be
    a village in several towns (新村), and then any of them may be the one meant."""
    spans: dict[tuple[int, int], list[list[str]]] = {}
    for entity in parsed.entities:
        place = places.get(entity.value) if entity.type == "place" else None
        if place is not None:
            town = place.parent_code if place.kind == "village" else place.code
            spans.setdefault((entity.start, entity.end), []).append([place.code, town or ""])
    return list(spans.values())


def dispute_scope(draft: dict[str, Any]) -> str | None:
    """village, cross_village (another village of the same town is named) or cross_town
    (a place in another town is named); None when the place is unknown. A name that could be
    the chosen place, or could lie in its town, is given the benefit of the doubt."""
    town, village = draft.get("town_code"), draft.get("village_code")
    if not town:
        return None
    scope = "village"
    for alternatives in draft.get(MENTIONS_KEY) or []:
        codes = {code for code, _ in alternatives}
        if town in codes or (village and village in codes):
            continue
        in_town = [code for code, place_town in alternatives if place_town == town]
        if not in_town:
            return "cross_town"
        if village and any(code != town for code in in_town):
            scope = "cross_village"
    return scope
