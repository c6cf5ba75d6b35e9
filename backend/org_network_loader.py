"""Reads and checks config/organizations.yaml for backend.org_network (schema: see there).

The line-numbered reading (node tree, locs, specs) is backend/yaml_check.py's; this module
adds the network's own rules: codes unique across the file, derived organisations, tribunals
covering every town once, people at the right kind of organisation.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar

from yaml.nodes import Node

from backend import org_network as net
from backend.org_network import (
    County,
    MediatorDef,
    OfficeHours,
    OrgDef,
    OrgNetwork,
    Town,
    Village,
)
from backend.yaml_check import Checker, Loc, dig, read_yaml


def read_network(path: Path) -> OrgNetwork:
    """Read and validate the file; raise NetworkError listing every problem found."""
    root, data = read_yaml(path, net.NetworkError)
    return _Loader(path.name, root, data).load()


_T = TypeVar("_T")


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _make(cls: type[_T], values: dict[str, Any], **extra: Any) -> _T:
    """A model dataclass from a record's values (its own fields only); `extra` overrides."""
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**({k: v for k, v in values.items() if k in names} | extra))


class _Loader(Checker):
    """Reads every item even when parts of it are wrong (a bad value becomes None, which the
    cross-checks skip), so a file's problems are all reported in one go."""

    def __init__(self, filename: str, root: Node, data: Any) -> None:
        super().__init__(filename, root, data)
        self.claimed: dict[str, tuple[Loc, str]] = {}  # code -> where first used, by what
        self.where: dict[str, Loc] = {}  # code -> its item

    def at(self, code: str, key: str = "") -> Loc:
        return (*self.where[code], key)

    def claim(self, code: str, loc: Loc, what: str = "") -> None:
        first, by = self.claimed.setdefault(code, (loc, what))
        if first != loc:
            self.error(
                loc,
                f"duplicate code '{code}' (already used on line {self.lines.get(first, 1)}{by})",
            )

    def record(self, loc: Loc, what: str, derived: str = "") -> dict[str, Any] | None:
        """The mapping at `loc` read per its spec; claims its code and its derived one."""
        raw = dig(self.data, loc)
        code = raw.get("code") if isinstance(raw, dict) else None
        label = f"{what} '{code}'" if isinstance(code, str) and code else what
        if not isinstance(raw, dict):
            return self.error(loc, f"{label} must be a mapping")
        if isinstance(code, str) and code:
            self.where[code] = loc
            self.claim(code, (*loc, "code"))
            if derived:
                self.claim(code + derived, loc, f" by the {derived[1:]} of {label}")
        return self.read_mapping(raw, loc, label, net.SCHEMA[what])

    def records(self, loc: Loc, what: str, derived: str = "") -> list[tuple[Loc, dict[str, Any]]]:
        """The items of the list at `loc` that could be read far enough to have a code."""
        found = dig(self.data, loc)
        read = [
            ((*loc, i), self.record((*loc, i), what, derived))
            for i in range(len(found) if isinstance(found, list) else 0)
        ]
        return [(at, r) for at, r in read if r is not None and r["code"]]

    def load(self) -> OrgNetwork:
        self.record((), "file")
        version = dig(self.data, ("version",))
        if ("version",) in self.lines and (type(version) is not int or version != 1):
            self.error(("version",), f"unsupported version {version!r} (expected 1)")
        c = self.record(("county",), "county") if ("county",) in self.lines else None
        towns: list[Town] = []
        villages: list[Village] = []
        for loc, t in self.records(("towns",), "town", ".centre"):
            if t["villages"] == []:
                self.error((*loc, "villages"), f"town '{t['code']}': needs at least one village")
            own = [
                _make(Village, v, town_code=t["code"])
                for _, v in self.records((*loc, "villages"), "village", ".committee")
            ]
            for v in own:
                if not v.code.startswith(f"{t['code']}."):
                    self.error(
                        self.at(v.code, "code"),
                        f"village '{v.code}': code must be '{t['code']}.<name>'",
                    )
            villages += own
            towns.append(_make(Town, t, village_codes=tuple(v.code for v in own)))
        organizations = self.records(("organizations",), "organisation")
        orgs = [_make(OrgDef, o, tier="county") for _, o in organizations]
        mediators = [
            _make(
                MediatorDef,
                m,
                phone=m["phone"] and m["phone"].replace("-", ""),
                office_hours=self.office_hours(loc, m["code"]),
            )
            for loc, m in self.records(("mediators",), "mediator")
        ]
        centre = next((o.code for o in orgs if o.kind == "county_mediation_centre"), None)
        derived = net.derived_organizations(towns, villages, centre)
        for o in derived:
            self.where[o.code] = self.where[o.village_code or o.town_code or ""]
        self.check_organizations(orgs)
        covering = self.check_tribunals(towns, orgs)
        self.check_people(villages, orgs + derived, mediators, covering)
        self.check_names(towns, villages)
        self.fail_if_problems(net.NetworkError)
        if c is None:  # reported as missing above
            raise net.NetworkError([f"{self.filename}:1: no county"])
        return OrgNetwork(
            _make(County, c),
            tuple(towns),
            tuple(villages),
            tuple(orgs + derived),
            tuple(mediators),
        )

    def office_hours(self, loc: Loc, code: str) -> tuple[OfficeHours, ...]:
        """A mediator's weekly bookable hours; each window must hold at least one slot and
        say where (a place, or video)."""
        found = dig(self.data, (*loc, "office_hours"))
        label = f"mediator '{code}' office_hours"
        out: list[OfficeHours] = []
        for i in range(len(found) if isinstance(found, list) else 0):
            at = (*loc, "office_hours", i)
            if not isinstance(found[i], dict):
                self.error(at, f"{label}: each entry must be a mapping")
                continue
            h = self.read_mapping(found[i], at, label, net.SCHEMA["office_hours"])
            if None in (h["weekday"], h["start"], h["end"], h["slot_minutes"]):
                continue  # reported already
            length = _minutes(h["end"]) - _minutes(h["start"])
            if length < h["slot_minutes"]:
                self.error(
                    at,
                    f"{label}: {h['start']}-{h['end']} holds no {h['slot_minutes']}-minute slot",
                )
            elif not h["place"] and not h["video"]:
                self.error(at, f"{label}: needs a place, or video: true")
            else:
                out.append(_make(OfficeHours, h))
        return tuple(out)

    def resolve(
        self, ref: str | None, index: dict[str, _T], loc: Loc, label: str, what: str
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
                o.kind in net.SINGLE_KINDS
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
            if org and (home := net.ROLE_HOME.get(m.role or "")) and org.kind != home:
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
