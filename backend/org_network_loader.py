"""Reads and checks config/organizations.yaml for backend.org_network (schema: see there).

The file is composed into a node tree, which knows every line, and constructed into plain
data, which is read item by item against a small declarative spec. A loc (a path such as
("mediators", 3, "role")) ties each value back to its line, so every message names one.
"""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from backend import org_network as net
from backend.org_network import County, MediatorDef, OrgDef, OrgNetwork, Town, Village


def read_network(path: Path) -> OrgNetwork:
    """Read and validate the file; raise NetworkError listing every problem found."""
    loader = yaml.SafeLoader(path.read_text(encoding="utf-8"))
    try:
        root = loader.get_single_node()  # the node tree has the lines; data is built from it
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise net.NetworkError(
            [
                f"{path.name}:{mark.line + 1 if mark else 1}: invalid YAML: "
                f"{getattr(exc, 'problem', None) or exc}"
            ]
        ) from None
    finally:
        loader.dispose()
    if root is None:
        raise net.NetworkError([f"{path.name}:1: the file is empty"])
    return _Loader(path.name, root, data).load()


_Loc = tuple[str | int, ...]  # a path into the data, like ("mediators", 3, "role")
_T = TypeVar("_T")


def _dig(data: Any, loc: _Loc) -> Any:
    for step in loc:
        ok = isinstance(data, list) and isinstance(step, int) and step < len(data)
        data = data.get(step) if isinstance(data, dict) else data[step] if ok else None
    return data


def _make(cls: type[_T], values: dict[str, Any], **extra: Any) -> _T:
    """A model dataclass from a record's values (its own fields only); `extra` overrides."""
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**({k: v for k, v in values.items() if k in names} | extra))


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
        spec = net.SCHEMA[what]
        for key in raw.keys() - spec.keys():
            self.error((*loc, key), f"{label}: unknown key '{key}'")
        for key in (k for k, f in spec.items() if f.required and k not in raw):
            self.error(loc, f"{label}: missing '{key}'")
        return {  # keyed by the dataclass field each value fills
            f.attr or k: self.value(raw[k], f, (*loc, k), label, k) if k in raw else f.default
            for k, f in spec.items()
        }

    def value(self, value: Any, f: net.FieldSpec, loc: _Loc, label: str, key: str) -> Any:
        """The value read per `f`, or None after reporting what is wrong with it."""
        if f.kind in ("list", "items") and not isinstance(value, list):
            return self.error(loc, f"{label}: '{key}' must be a list")
        if f.kind in ("items", "any"):
            return value
        if f.kind == "list":
            item = net.FieldSpec(check=f.check, hint=f.hint)
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
            _make(MediatorDef, m, phone=m["phone"] and m["phone"].replace("-", ""))
            for _, m in self.records(("mediators",), "mediator")
        ]
        centre = next((o.code for o in orgs if o.kind == "county_mediation_centre"), None)
        derived = net.derived_organizations(towns, villages, centre)
        for o in derived:
            self.where[o.code] = self.where[o.village_code or o.town_code or ""]
        self.check_organizations(orgs)
        covering = self.check_tribunals(towns, orgs)
        self.check_people(villages, orgs + derived, mediators, covering)
        self.check_names(towns, villages)
        if self.problems or c is None:
            raise net.NetworkError(
                [
                    f"{self.filename}:{line}: {message}"
                    for line, message in sorted(self.problems, key=lambda p: p[0])
                ]
            )
        return OrgNetwork(
            _make(County, c),
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
