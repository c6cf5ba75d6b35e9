"""Reads and checks config/organizations.yaml for backend.org_network (schema: see there).

The file is composed into a node tree, which knows every line, and constructed into plain
data, which is read item by item against a small declarative spec. A loc (a path such as
("mediators", 3, "role")) ties each value back to its line, so every message names one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import available_timezones

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from backend.org_network import (
    EXPLICIT_KINDS,
    ROLES,
    TOWN_KINDS,
    TRADES,
    VILLAGE_KINDS,
    County,
    MediatorDef,
    NetworkError,
    OrgDef,
    OrgNetwork,
    Town,
    Village,
)
from nlu.types import CATEGORIES

_ROLE_HOME = {"judge": "court_tribunal", "grid_worker": "village_mediation_committee"}
_SINGLE_KINDS = ("county_mediation_centre", "administrative_centre", "trade_committee")  # per trade


def read_network(path: Path) -> OrgNetwork:
    """Read and validate the file; raise NetworkError listing every problem found."""
    loader = yaml.SafeLoader(path.read_text(encoding="utf-8"))
    try:
        root = loader.get_single_node()  # the node tree has the lines; data is built from it
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise NetworkError(
            [
                f"{path.name}:{mark.line + 1 if mark else 1}: invalid YAML: "
                f"{getattr(exc, 'problem', None) or exc}"
            ]
        ) from None
    finally:
        loader.dispose()
    if root is None:
        raise NetworkError([f"{path.name}:1: the file is empty"])
    return _Loader(path.name, root, data).load()


@dataclass(frozen=True)
class _Field:
    """How a key is read. kind: str, list (of str), bool, items (a list of mappings, read on
    their own) or any; check: the allowed values, a regex to match, or a predicate."""

    kind: str = "str"
    required: bool = True
    check: tuple[str, ...] | re.Pattern[str] | Callable[[str], bool] | None = None
    hint: str = ""


_CODE = _Field(check=re.compile(r"[a-z][a-z0-9_]*"), hint="lowercase ascii, no dots")
_ALIASES = _Field("list", required=False)
_SPECS: dict[str, dict[str, _Field]] = {
    "file": {
        "version": _Field("any"),
        "county": _Field("any"),
        "towns": _Field("items"),
        "organizations": _Field("items"),
        "mediators": _Field("items"),
    },
    "county": {
        "code": _CODE,
        "name": _Field(),
        "name_en": _Field(),
        "timezone": _Field(
            check=lambda zone: zone in available_timezones(), hint="an IANA zone like Asia/Shanghai"
        ),
    },
    "town": {
        "code": _CODE,
        "name": _Field(),
        "name_en": _Field(),
        "kind": _Field(check=TOWN_KINDS),
        "aliases": _ALIASES,
        "tribunal": _Field(),
        "villages": _Field("items"),
    },
    "village": {
        "code": _Field(
            check=re.compile(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*"),
            hint="<town code>.<lowercase ascii>",
        ),
        "name": _Field(),
        "name_en": _Field(),
        "kind": _Field(check=VILLAGE_KINDS),
        "aliases": _ALIASES,
        "liaison_judge": _Field(),
    },
    "organisation": {
        "code": _CODE,
        "name": _Field(),
        "name_en": _Field(),
        "kind": _Field(check=EXPLICIT_KINDS),
        "trade": _Field(required=False, check=TRADES),
        "covers": _Field("list", required=False),
    },
    "mediator": {
        "code": _CODE,
        "name": _Field(),
        "organization": _Field(),
        "role": _Field(check=ROLES),
        "skills": _Field("list", False, CATEGORIES, "not in nlu.types.CATEGORIES"),
        "languages": _Field(
            "list", False, re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})*"), "like zh, en, zh-wuu"
        ),
        "on_duty": _Field("bool", required=False),
        "phone": _Field(
            required=False,
            check=re.compile(r"1[3-9]\d{9}|0\d{2,3}-?\d{7,8}"),
            hint="a quoted mobile like 13900001234 or 0575-87001234",
        ),
    },
}
_DEFAULTS: dict[str, Any] = {"str": None, "list": (), "bool": True, "items": None, "any": None}
_Loc = tuple[str | int, ...]  # a path into the data, like ("mediators", 3, "role")
_T = TypeVar("_T")


def _dig(data: Any, loc: _Loc) -> Any:
    for step in loc:
        ok = isinstance(data, list) and isinstance(step, int) and step < len(data)
        data = data.get(step) if isinstance(data, dict) else data[step] if ok else None
    return data


class _Loader:
    """Reads every item even when parts of it are wrong (a bad value becomes None, which the
    cross-checks skip), so a file's problems are all reported in one go."""

    def __init__(self, filename: str, root: Node, data: Any) -> None:
        self.filename, self.data = filename, data
        self.problems: list[tuple[int, str]] = []
        self.lines: dict[_Loc, int] = {(): root.start_mark.line + 1}
        self.claimed: dict[str, tuple[_Loc, str]] = {}  # code -> where first used, by what
        self.where: dict[str, _Loc] = {}  # code -> its item
        self.walk(root, ())

    def walk(self, node: Node, loc: _Loc) -> None:
        """Index lines by loc (a mapping value by its key's line); report duplicate keys,
        which YAML would silently collapse into the last one."""
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if (*loc, key.value) in self.lines:
                    self.error(key.start_mark.line + 1, f"duplicate key '{key.value}'")
                self.lines.setdefault((*loc, key.value), key.start_mark.line + 1)
                self.walk(value, (*loc, key.value))
        elif isinstance(node, SequenceNode):
            for i, item in enumerate(node.value):
                self.lines[(*loc, i)] = item.start_mark.line + 1
                self.walk(item, (*loc, i))

    def error(self, loc: _Loc | int, message: str) -> None:
        while not isinstance(loc, int) and loc not in self.lines:
            loc = loc[:-1]  # a missing key: report its parent's line
        self.problems.append((loc if isinstance(loc, int) else self.lines[loc], message))

    def at(self, code: str, key: str = "") -> _Loc:
        return (*self.where[code], key)

    def claim(self, code: str, loc: _Loc, what: str = "") -> None:
        first, by = self.claimed.setdefault(code, (loc, what))
        if first != loc:
            self.error(
                loc,
                f"duplicate code '{code}' (already used on line {self.lines.get(first, 1)}{by})",
            )

    def record(self, loc: _Loc, what: str, derived: str = "") -> dict[str, Any] | None:
        """The mapping at `loc` read per its spec; claims its code and its derived one."""
        raw = _dig(self.data, loc)
        code = raw.get("code") if isinstance(raw, dict) else None
        label = f"{what} '{code}'" if isinstance(code, str) and code else what
        if not isinstance(raw, dict):
            return self.error(loc, f"{label} must be a mapping")
        if isinstance(code, str) and code:
            self.where[code] = loc
            self.claim(code, (*loc, "code"))
            if derived:
                self.claim(code + derived, loc, f" by the {derived[1:]} of {label}")
        spec = _SPECS[what]
        for key in raw.keys() - spec.keys():
            self.error((*loc, key), f"{label}: unknown key '{key}'")
        for key in (k for k, f in spec.items() if f.required and k not in raw):
            self.error(loc, f"{label}: missing '{key}'")
        return {
            k: self.value(raw[k], f, (*loc, k), label, k) if k in raw else _DEFAULTS[f.kind]
            for k, f in spec.items()
        }

    def value(self, value: Any, f: _Field, loc: _Loc, label: str, key: str) -> Any:
        """The value read per `f`, or None after reporting what is wrong with it."""
        if f.kind in ("list", "items") and not isinstance(value, list):
            return self.error(loc, f"{label}: '{key}' must be a list")
        if f.kind in ("items", "any"):
            return value
        if f.kind == "list":
            item = _Field(check=f.check, hint=f.hint)
            return tuple(self.value(v, item, (*loc, i), label, key) for i, v in enumerate(value))
        if f.kind == "bool":
            if isinstance(value, bool):
                return value
            return self.error(loc, f"{label}: '{key}' must be true or false")
        if not (isinstance(value, str) and value.strip()):
            quote = " (quote it)" if isinstance(value, int | float) else ""
            return self.error(loc, f"{label}: '{key}' must be a non-empty string{quote}")
        value, check, noun = value.strip(), f.check, key.removesuffix("s")
        if isinstance(check, tuple) and value not in check:
            return self.error(
                loc,
                f"{label}: unknown {noun} '{value}' "
                f"({f.hint or 'expected one of ' + ', '.join(check)})",
            )
        matches = check.fullmatch if isinstance(check, re.Pattern) else check
        if callable(matches) and not matches(value):
            return self.error(loc, f"{label}: bad {noun} '{value}' ({f.hint})")
        return value

    def records(self, loc: _Loc, what: str, derived: str = "") -> list[tuple[_Loc, dict[str, Any]]]:
        """The items of the list at `loc` that could be read far enough to have a code."""
        found = _dig(self.data, loc)
        read = [
            ((*loc, i), self.record((*loc, i), what, derived))
            for i in range(len(found) if isinstance(found, list) else 0)
        ]
        return [(at, r) for at, r in read if r is not None and r["code"]]

    def load(self) -> OrgNetwork:
        self.record((), "file")
        version = _dig(self.data, ("version",))
        if ("version",) in self.lines and (type(version) is not int or version != 1):
            self.error(("version",), f"unsupported version {version!r} (expected 1)")
        c = self.record(("county",), "county") if ("county",) in self.lines else None
        towns: list[Town] = []
        villages: list[Village] = []
        for loc, t in self.records(("towns",), "town", ".centre"):
            if t["villages"] == []:
                self.error((*loc, "villages"), f"town '{t['code']}': needs at least one village")
            own = [
                Village(
                    v["code"],
                    v["name"],
                    v["name_en"],
                    v["kind"],
                    v["aliases"],
                    t["code"],
                    v["liaison_judge"],
                )
                for v_loc, v in self.records((*loc, "villages"), "village", ".committee")
            ]
            for v in own:
                if not v.code.startswith(f"{t['code']}."):
                    self.error(
                        self.at(v.code, "code"),
                        f"village '{v.code}': code must be '{t['code']}.<name>'",
                    )
            villages += own
            towns.append(
                Town(
                    t["code"],
                    t["name"],
                    t["name_en"],
                    t["kind"],
                    t["aliases"],
                    t["tribunal"],
                    tuple(v.code for v in own),
                )
            )
        orgs = [
            OrgDef(
                o["code"],
                o["name"],
                o["name_en"],
                o["kind"],
                "county",
                trade=o["trade"],
                covers=o["covers"],
            )
            for _, o in self.records(("organizations",), "organisation")
        ]
        mediators = [
            MediatorDef(
                m["code"],
                m["name"],
                m["organization"],
                m["role"],
                m["skills"],
                m["languages"] or ("zh",),
                m["on_duty"],
                m["phone"] and m["phone"].replace("-", ""),
            )
            for _, m in self.records(("mediators",), "mediator")
        ]
        for o in (derived := _derived(towns, villages, orgs)):
            self.where[o.code] = self.where[o.village_code or o.town_code or ""]
        self.check_organizations(orgs)
        covering = self.check_tribunals(towns, orgs)
        self.check_people(villages, orgs + derived, mediators, covering)
        self.check_names(towns, villages)
        if self.problems or c is None:
            raise NetworkError(
                [
                    f"{self.filename}:{line}: {message}"
                    for line, message in sorted(self.problems, key=lambda p: p[0])
                ]
            )
        return OrgNetwork(
            County(c["code"], c["name"], c["name_en"], c["timezone"]),
            tuple(towns),
            tuple(villages),
            tuple(orgs + derived),
            tuple(mediators),
        )

    def resolve(
        self, ref: str | None, index: dict[str, _T], loc: _Loc, label: str, what: str
    ) -> _T | None:
        """The item `ref` names, or None after saying why (a bad ref was reported already)."""
        if ref is None or ref in index:
            return index.get(ref) if ref else None
        self.error(
            loc,
            f"{label}: '{ref}' is not a {what}"
            if ref in self.claimed
            else f"{label} refers to unknown {what} '{ref}'",
        )
        return None

    def check_organizations(self, orgs: list[OrgDef]) -> None:
        """One county centre, at most one administrative centre and committee per trade (routing
        picks by kind and trade); `trade` and `covers` only where their kind needs them."""
        at, err = self.at, self.error
        singles: dict[tuple[str, str | None], str] = {}
        for o in orgs:
            if (
                o.kind in _SINGLE_KINDS
                and (first := singles.setdefault((o.kind, o.trade), o.code)) != o.code
            ):
                err(
                    at(o.code, "kind"),
                    f"organisation '{o.code}': a second {o.kind}"
                    f"{' for ' + o.trade if o.trade else ''} (the first is '{first}')",
                )
            for key, owner in (("trade", "trade_committee"), ("covers", "court_tribunal")):
                if o.kind == owner and at(o.code, key) not in self.lines:
                    err(at(o.code), f"organisation '{o.code}': a {owner} needs '{key}'")
                elif o.kind not in (owner, None) and at(o.code, key) in self.lines:
                    err(at(o.code, key), f"organisation '{o.code}': '{key}' is only for a {owner}")
        if ("county_mediation_centre", None) not in singles:
            err(("organizations",), "no county_mediation_centre is listed")

    def check_tribunals(self, towns: list[Town], orgs: list[OrgDef]) -> dict[str, str]:
        """Every town is covered by exactly one tribunal, the one it names; returns town ->
        tribunal."""
        at, err = self.at, self.error
        covering: dict[str, str] = {}
        town_index = {t.code: t for t in towns}
        for o in orgs:
            for town in o.covers:
                label = f"tribunal '{o.code}'"
                if (
                    self.resolve(town, town_index, at(o.code, "covers"), label, "town")
                    and (first := covering.setdefault(town, o.code)) != o.code
                ):
                    err(
                        at(o.code, "covers"),
                        f"town '{town}' is covered by both '{first}' and '{o.code}'",
                    )
        tribunals = {o.code: o for o in orgs if o.kind == "court_tribunal"}
        for t in towns:
            label = f"town '{t.code}'"
            named = self.resolve(
                t.tribunal_code, tribunals, at(t.code, "tribunal"), label, "court_tribunal"
            )
            if t.code not in covering:
                err(at(t.code, "code"), f"{label} is not in any tribunal's covers")
            elif named and covering[t.code] != named.code:
                err(
                    at(t.code, "tribunal"),
                    f"{label} names tribunal '{named.code}' but '{covering[t.code]}' covers it",
                )
        return covering

    def check_people(
        self,
        villages: list[Village],
        orgs: list[OrgDef],
        mediators: list[MediatorDef],
        covering: dict[str, str],
    ) -> None:
        """Mediators belong to real organisations (judges to tribunals, grid workers to village
        committees); a village's liaison judge sits at the tribunal covering its town."""
        at, err = self.at, self.error
        org_index = {o.code: o for o in orgs}
        for m in mediators:
            org = self.resolve(
                m.organization_code,
                org_index,
                at(m.code, "organization"),
                f"mediator '{m.code}'",
                "organisation",
            )
            if org and (home := _ROLE_HOME.get(m.role or "")) and org.kind != home:
                err(
                    at(m.code, "role"),
                    f"mediator '{m.code}': a {m.role} belongs to a {home}, not to '{org.code}'",
                )
        judges = {m.code: m for m in mediators if m.role == "judge"}
        for v in villages:
            label, loc = f"village '{v.code}'", at(v.code, "liaison_judge")
            judge = self.resolve(v.liaison_judge_code, judges, loc, label, "judge")
            tribunal = covering.get(v.town_code)
            if judge and tribunal and judge.organization_code != tribunal:
                err(
                    loc,
                    f"{label}: liaison_judge '{judge.code}' is a judge of "
                    f"'{judge.organization_code}', not of '{tribunal}' which covers its town",
                )

    def check_names(self, towns: list[Town], villages: list[Village]) -> None:
        """Town names and aliases are unambiguous county-wide, village ones within their town:
        the same village name in two towns is normal (the dialogue asks which one)."""
        seen: dict[tuple[str, str], str] = {}
        for p in (*towns, *villages):
            scope = p.town_code if isinstance(p, Village) else ""
            for name in dict.fromkeys(n for n in (p.name, *p.aliases) if n):
                if (owner := seen.setdefault((scope, name), p.code)) != p.code:
                    self.error(
                        self.at(p.code),
                        f"'{p.code}': name or alias '{name}' is already used by '{owner}'",
                    )


def _derived(towns: list[Town], villages: list[Village], explicit: list[OrgDef]) -> list[OrgDef]:
    """Every town gets a mediation centre and every village a committee, never listed."""
    county = next((o.code for o in explicit if o.kind == "county_mediation_centre"), None)
    by_code = {v.code: v for v in villages}
    out: list[OrgDef] = []
    for t in towns:
        out.append(
            OrgDef(
                f"{t.code}.centre",
                f"{t.name}人民调解中心",
                f"{t.name_en} Mediation Centre",
                "town_mediation_centre",
                "town",
                county,
                t.code,
            )
        )
        out.extend(
            OrgDef(
                f"{v.code}.committee",
                f"{t.name}{v.name}人民调解委员会",
                f"{t.name_en} {v.name_en} People's Mediation Committee",
                "village_mediation_committee",
                "village",
                f"{t.code}.centre",
                t.code,
                v.code,
            )
            for v in (by_code[c] for c in t.village_codes)
        )
    return out
