"""Place names of the county: match a resident's short answer or find places in a message.

Every name is indexed once, at construction, under its full form (枫桥镇), its form without
an administrative suffix (枫桥; only when 2+ characters remain) and its aliases, so a call
costs dictionary look-ups, not a scan of the gazetteer. Typos are found through a
deletion index (one deletion of each 3+ character key, as in SymSpell): a query within
one edit of a key shares a deletion variant with it.

Match order: exact full names and aliases, then suffix-less names; only if nothing matched,
names starting with the answer (王家 -> 王家畈村); only then names one edit away. A typo is
forgiven in names of 4+ characters (东白胡村 -> 东白湖村) and in 3-character town names whose
first character is right (枫乔镇 -> 枫桥镇), but never in 3-character village names: 东溪村
and 东一村, 李家村 and 张家村 are different villages, and a village match is taken without
asking, whereas a town match is followed by a village question. When a town is named as
well, its villages come first and same-named villages of other towns are dropped.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass

from nlu.types import Entity, GazetteerEntry

_SUFFIXES = ("街道办事处", "村民委员会", "社区居委会", "街道办", "村委会", "居委会", "行政村",
             "街道", "社区", "镇", "乡", "村")
_SEPARATORS = re.compile(r"[\s,，。、;；:：!！?？()（）\-/]+|的|在|是|住|那边|这边|附近")
_SUFFIX_CHARS = re.compile(r"镇|乡|村|街道|社区")
_EXACT, _BASE, _PREFIX, _FUZZY = 3, 2, 1, 0
_MIN_FUZZY_LEN = 3
_MAX_PREFIX_HITS = 20


@dataclass(frozen=True)
class _Key:
    entry: GazetteerEntry
    tier: int  # _EXACT for a full name or alias, _BASE for a suffix-less form


def _base(name: str) -> str | None:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return None


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def _within_one_edit(a: str, b: str) -> bool:
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


class Gazetteer:
    """Towns (kind "town") and villages (kind "village", parent_code = town code)."""

    def __init__(self, entries: Iterable[GazetteerEntry]) -> None:
        self.entries: dict[str, GazetteerEntry] = {}
        self._keys: dict[str, list[_Key]] = {}
        self._deleted: dict[str, set[str]] = {}
        for entry in entries:
            self.entries[entry.code] = entry
            for name in (entry.name, *entry.aliases):
                name = name.strip()
                if name:
                    self._add(name, entry, _EXACT)
                    base = _base(name)
                    if base:
                        self._add(base, entry, _BASE)
        self._sorted = sorted(self._keys)
        self._lengths = sorted({len(k) for k in self._keys}, reverse=True)
        for key in self._keys:
            if len(key) >= _MIN_FUZZY_LEN:
                for variant in _deletions(key):
                    self._deleted.setdefault(variant, set()).add(key)

    def _add(self, key: str, entry: GazetteerEntry, tier: int) -> None:
        hits = self._keys.setdefault(key, [])
        if all(k.entry.code != entry.code for k in hits):
            hits.append(_Key(entry, tier))

    # --- look-ups -------------------------------------------------------------------------

    def _scan(self, text: str) -> list[tuple[int, int, str]]:
        """Non-overlapping known keys in `text`, longest at each position, left to right."""
        out: list[tuple[int, int, str]] = []
        i = 0
        while i < len(text):
            for n in self._lengths:
                if n >= 2 and text[i:i + n] in self._keys:
                    out.append((i, i + n, text[i:i + n]))
                    i += n
                    break
            else:
                i += 1
        return out

    def _prefixed(self, segment: str) -> list[_Key]:
        i = bisect.bisect_left(self._sorted, segment)
        hits: list[_Key] = []
        while i < len(self._sorted) and self._sorted[i].startswith(segment):
            hits.extend(_Key(k.entry, _PREFIX) for k in self._keys[self._sorted[i]])
            i += 1
            if len(hits) >= _MAX_PREFIX_HITS:
                break
        return hits

    def _fuzzy(self, query: str) -> list[_Key]:
        if len(query) < _MIN_FUZZY_LEN:
            return []
        candidates = set(self._deleted.get(query, ()))
        for variant in _deletions(query) | {query}:
            if variant in self._keys and len(variant) >= _MIN_FUZZY_LEN:
                candidates.add(variant)
            candidates |= self._deleted.get(variant, set())
        hits: list[_Key] = []
        for key in sorted(candidates):
            if key == query or not _within_one_edit(query, key):
                continue
            short = min(len(key), len(query)) <= 3
            if short and key[0] != query[0]:
                continue
            hits.extend(
                _Key(k.entry, _FUZZY) for k in self._keys[key]
                if not short or k.entry.kind == "town"
            )
        return hits

    def _fuzzy_text(self, text: str) -> list[_Key]:
        """Typo matches for each segment, and for 3-6 characters ending in a place suffix."""
        queries = [s for s in _SEPARATORS.split(text) if s]
        for m in _SUFFIX_CHARS.finditer(text):
            queries += [text[max(0, m.end() - n):m.end()] for n in range(3, 7)]
        hits: list[_Key] = []
        for q in dict.fromkeys(queries):
            hits += self._fuzzy(q)
        return hits

    # --- public API -----------------------------------------------------------------------

    def match(self, text: str) -> list[GazetteerEntry]:
        """Best candidates for a short answer naming a place: villages first, then towns."""
        text = (text or "").strip()
        if not text:
            return []
        hits = [k for _, _, key in self._scan(text) for k in self._keys[key]]
        if not hits:
            for segment in _SEPARATORS.split(text):
                if len(segment) >= 2:
                    hits += self._prefixed(segment)
        if not hits:
            hits = self._fuzzy_text(text)
        return self._rank(hits)

    def _rank(self, hits: list[_Key]) -> list[GazetteerEntry]:
        best: dict[str, int] = {}
        for k in hits:
            best[k.entry.code] = max(best.get(k.entry.code, -1), k.tier)
        towns = {c for c in best if self.entries[c].kind == "town"}
        villages = [c for c in best if self.entries[c].kind != "town"]
        in_named_town = [c for c in villages if self.entries[c].parent_code in towns]
        if in_named_town:
            villages = in_named_town

        def order(code: str) -> tuple[int, int, str]:
            return (0 if code in in_named_town else 1, -best[code], code)

        return [self.entries[c] for c in (sorted(villages, key=order) + sorted(towns, key=order))]

    def find_places(self, text: str) -> list[Entity]:
        """Place mentions in a longer message; value is the entry code.

        Stricter than `match`: a village's suffix-less name or alias shorter than 3
        characters (陈家, 新亭) counts only right after a town (枫桥陈家), since on its own
        it is usually a family (陈家的儿子) or a word. A name shared by villages of several
        towns yields one entity per village, unless a town named in the message decides.
        """
        found: list[tuple[int, int, list[_Key]]] = []
        named_towns: set[str] = set()
        prev_end, prev_town = -1, False
        for start, end, key in self._scan(text):
            keys = self._keys[key]
            after_town = prev_town and start == prev_end
            keep = [
                k for k in keys
                if k.entry.kind == "town" or len(key) >= 3 or after_town
                or (k.tier == _EXACT and key == k.entry.name)
            ]
            if keep:
                found.append((start, end, keep))
                named_towns |= {k.entry.code for k in keep if k.entry.kind == "town"}
            prev_end, prev_town = end, any(k.entry.kind == "town" for k in keep)
        out: list[Entity] = []
        for start, end, keep in found:
            inside = [k for k in keep if k.entry.parent_code in named_towns]
            for k in sorted(inside or keep, key=lambda k: k.entry.code):
                out.append(Entity("place", text[start:end], k.entry.code, start, end))
        return out
