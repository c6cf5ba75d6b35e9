"""Place names for the dialogue: the NLU gazetteer plus display names in both languages."""

from __future__ import annotations

from collections.abc import Iterable

from backend.records import PlaceRecord
from nlu.gazetteer import Gazetteer
from nlu.types import GazetteerEntry

_EN_SUFFIXES = (" Village", " Community", " Town", " Subdistrict", " Street")


def english_names(place: PlaceRecord) -> tuple[str, ...]:
    """ "Chenjia Village" is also typed as "Chenjia" or "chenjia"."""
    if not place.name_en:
        return ()
    short = place.name_en
    for suffix in _EN_SUFFIXES:
        short = short.removesuffix(suffix)
    return tuple(dict.fromkeys((place.name_en, short)))


class PlaceDirectory:
    def __init__(self, places: Iterable[PlaceRecord]) -> None:
        self._by_code = {p.code: p for p in places}
        self.gazetteer = Gazetteer(
            GazetteerEntry(p.code, p.name, p.kind, p.parent_code, (*p.aliases, *english_names(p)))
            for p in self._by_code.values()
        )

    def get(self, code: str | None) -> PlaceRecord | None:
        return self._by_code.get(code) if code else None

    def match(self, text: str) -> list[PlaceRecord]:
        found = self.gazetteer.match(text)
        return [self._by_code[e.code] for e in found if e.code in self._by_code]

    def towns(self) -> list[PlaceRecord]:
        return [p for p in self._by_code.values() if p.kind == "town"]

    def villages_of(self, town_code: str) -> list[PlaceRecord]:
        return [p for p in self._by_code.values() if p.parent_code == town_code]

    def town_of(self, codes: list[str] | None) -> str | None:
        """The one town the given places lie in, or None when unknown or several."""
        towns = set()
        for code in codes or []:
            place = self.get(code)
            if place is not None:
                towns.add(place.code if place.kind == "town" else place.parent_code)
        return towns.pop() if len(towns) == 1 else None

    def display(self, code: str | None, locale: str) -> str:
        """ "枫桥镇 陈家村" / "Chenjia Village, Fengqiao Town"."""
        place = self.get(code)
        if place is None:
            return ""
        chain = [place]
        parent = self.get(place.parent_code)
        if parent:
            chain.insert(0, parent)
        if locale == "en":
            return ", ".join(p.name_en or p.name for p in reversed(chain))
        return " ".join(p.name for p in chain)
