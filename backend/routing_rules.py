"""Routing rules as data (config/routing.yaml): which body takes a case, and why.

Pure (PyYAML + dataclasses, no database). The file is an ordered list of rules, each with an
ascii id, a Chinese description (说明) a county official can read, conditions (`when`) and a
target (`route_to`: an organisation kind, and the trade for a trade committee). The first
rule whose conditions all hold decides; the last rule has no conditions, so every case
matches one. `evaluate` also says, condition by condition, why the rule held, for
`jiefen route explain`. Problems in the file are all reported at once with their lines
(backend/yaml_check.py), like the organisation network's.

Conditions (all optional; a rule's conditions must all hold):
    category: [<dispute category>, ...]     keys of nlu/types.py CATEGORIES
    risk: [none|low|medium|high, ...]      the risk flag of the resident's account
    min_amount: <yuan>, max_amount: <yuan>  both inclusive; an unknown amount meets neither
    min_group_size: <people>                people on the resident's side, at least 2
    other_party: [<party role>, ...]        nlu/entities/parties.py PARTY_ROLES
    scope: [village|cross_village|cross_town, ...]
    wish: mediation|court                   what the resident asked for (default mediation)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.org_network import TRADES
from backend.yaml_check import Checker, ConfigFileError, FieldSpec, Loc, dig, read_yaml
from nlu.entities.parties import PARTY_ROLES
from nlu.types import CATEGORIES, RISK_LEVELS

VERSION = 1
SCOPES = ("village", "cross_village", "cross_town")
WISHES = ("mediation", "court")
# Organisation kinds a rule may route to, with the tier each sits at.
KIND_TIERS: dict[str, str] = {
    "village_mediation_committee": "village",
    "town_mediation_centre": "town",
    "county_mediation_centre": "county",
    "trade_committee": "county",
    "administrative_centre": "county",
    "court_tribunal": "county",
}
DESCRIPTION_KEY = "说明"


class RulesError(ConfigFileError):
    what = "the routing rules"


@dataclass(frozen=True)
class Conditions:
    category: tuple[str, ...] | None = None
    risk: tuple[str, ...] | None = None
    min_amount: int | None = None
    max_amount: int | None = None
    min_group_size: int | None = None
    other_party: tuple[str, ...] | None = None
    scope: tuple[str, ...] | None = None
    wish: str | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in CONDITION_NAMES)


CONDITION_NAMES = tuple(Conditions.__dataclass_fields__)


@dataclass(frozen=True)
class Target:
    kind: str
    trade: str | None = None

    @property
    def tier(self) -> str:
        return KIND_TIERS[self.kind]

    def __str__(self) -> str:
        return f"{self.kind}:{self.trade}" if self.trade else self.kind


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    when: Conditions
    route_to: Target
    line: int = 0


@dataclass(frozen=True)
class RoutingRules:
    rules: tuple[Rule, ...]
    source: str = ""

    def rule(self, rule_id: str) -> Rule:
        found = next((r for r in self.rules if r.id == rule_id), None)
        if found is None:
            raise KeyError(f"no routing rule {rule_id!r}")
        return found


@dataclass(frozen=True)
class RoutingFacts:
    """What the rules look at; None where the case does not say."""

    category: str
    risk_level: str = "none"
    amount_yuan: int | None = None
    group_size: int | None = None
    other_party_role: str | None = None
    scope: str | None = None
    wish: str = "mediation"


@dataclass(frozen=True)
class Reason:
    """Why one condition held: the condition's name, the case's value and the rule's limit
    (the listed values or the bound). `condition` "always" marks the catch-all rule."""

    condition: str
    value: Any = None
    limit: Any = None


@dataclass(frozen=True)
class Match:
    rule: Rule
    reasons: tuple[Reason, ...]


def _holds(name: str, limit: Any, facts: RoutingFacts) -> Reason | None:
    value = {
        "category": facts.category,
        "risk": facts.risk_level,
        "min_amount": facts.amount_yuan,
        "max_amount": facts.amount_yuan,
        "min_group_size": facts.group_size,
        "other_party": facts.other_party_role,
        "scope": facts.scope,
        "wish": facts.wish or "mediation",
    }[name]
    if value is None:
        return None
    if name.startswith("min_"):
        ok = value >= limit
    elif name == "max_amount":
        ok = value <= limit
    elif name == "wish":
        ok = value == limit
    else:
        ok = value in limit
    return Reason(name, value, limit) if ok else None


def match_rule(rule: Rule, facts: RoutingFacts) -> tuple[Reason, ...] | None:
    """The reasons each condition of `rule` holds for `facts`, or None if one does not."""
    reasons: list[Reason] = []
    for name in CONDITION_NAMES:
        limit = getattr(rule.when, name)
        if limit is None:
            continue
        reason = _holds(name, limit, facts)
        if reason is None:
            return None
        reasons.append(reason)
    return tuple(reasons) or (Reason("always"),)


def evaluate(rules: RoutingRules, facts: RoutingFacts) -> Match:
    """The first rule whose conditions all hold, and why."""
    for rule in rules.rules:
        reasons = match_rule(rule, facts)
        if reasons is not None:
            return Match(rule, reasons)
    raise LookupError("no routing rule matched: the last rule must have no conditions")


# --- reading the file ------------------------------------------------------------------------

_LIST_HINT = "expected one of "


def _listed(values: tuple[str, ...], where: str = "") -> FieldSpec:
    hint = f"see {where}" if where else _LIST_HINT + ", ".join(values)
    return FieldSpec("list", required=False, check=values, hint=hint)


SCHEMA: dict[str, dict[str, FieldSpec]] = {
    "file": {"version": FieldSpec("any"), "rules": FieldSpec("items")},
    "rule": {
        "id": FieldSpec(check=re.compile(r"[a-z][a-z0-9_]*"), hint="lowercase ascii"),
        DESCRIPTION_KEY: FieldSpec(attr="description"),
        "when": FieldSpec("any", required=False),
        "route_to": FieldSpec("any"),
    },
    "when": {
        "category": _listed(CATEGORIES, "nlu/types.py CATEGORIES"),
        "risk": _listed(RISK_LEVELS),
        "min_amount": FieldSpec("int", False, lambda n: n >= 0, "yuan, 0 or more"),
        "max_amount": FieldSpec("int", False, lambda n: n >= 0, "yuan, 0 or more"),
        "min_group_size": FieldSpec("int", False, lambda n: n >= 2, "people, 2 or more"),
        "other_party": _listed(PARTY_ROLES),
        "scope": _listed(SCOPES),
        "wish": FieldSpec(required=False, check=WISHES),
    },
    "route_to": {
        "kind": FieldSpec(check=tuple(KIND_TIERS)),
        "trade": FieldSpec(required=False, check=TRADES),
    },
}


def load_rules(path: Path) -> RoutingRules:
    """Read and validate the file; raise RulesError listing every problem found."""
    root, data = read_yaml(path, RulesError)
    return _RulesReader(path.name, root, data).load()


class _RulesReader(Checker):
    def mapping(self, loc: Loc, label: str, what: str) -> dict[str, Any] | None:
        raw = dig(self.data, loc)
        if not isinstance(raw, dict):
            return self.error(loc, f"{label}: '{loc[-1]}' must be a mapping" if loc else label)
        return self.read_mapping(raw, loc, label, SCHEMA[what])

    def load(self) -> RoutingRules:
        if not isinstance(self.data, dict):
            self.error((), "the file must be a mapping with 'version' and 'rules'")
            self.fail_if_problems(RulesError)
        self.read_mapping(self.data, (), "file", SCHEMA["file"])
        version = self.data.get("version")
        if "version" in self.data and (type(version) is not int or version != VERSION):
            self.error(("version",), f"unsupported version {version!r} (expected {VERSION})")
        items = self.data.get("rules")
        rules = [
            rule
            for i in range(len(items) if isinstance(items, list) else 0)
            if (rule := self.rule(("rules", i))) is not None
        ]
        if isinstance(items, list) and not items:
            self.error(("rules",), "no rules: at least a catch-all rule is needed")
        self.check_order()
        self.fail_if_problems(RulesError)
        return RoutingRules(tuple(rules), self.filename)

    def rule(self, loc: Loc) -> Rule | None:
        raw = dig(self.data, loc)
        rule_id = raw.get("id") if isinstance(raw, dict) else None
        label = f"rule '{rule_id}'" if isinstance(rule_id, str) and rule_id else "rule"
        if not isinstance(raw, dict):
            return self.error(loc, "a rule must be a mapping with id, 说明, when and route_to")
        values = self.read_mapping(raw, loc, label, SCHEMA["rule"])
        when = self.conditions((*loc, "when"), label) if "when" in raw else Conditions()
        target = self.target((*loc, "route_to"), label) if "route_to" in raw else None
        if None in (values["id"], values["description"], when, target):
            return None
        return Rule(values["id"], values["description"], when, target, self.line(loc))

    def conditions(self, loc: Loc, label: str) -> Conditions | None:
        if dig(self.data, loc) is None:
            return Conditions()  # `when:` left empty: a catch-all
        values = self.mapping(loc, label, "when")
        if values is None:
            return None
        for key, value in values.items():
            if isinstance(value, tuple) and not value:
                self.error((*loc, key), f"{label}: '{key}' lists nothing, so it never holds")
        low, high = values["min_amount"], values["max_amount"]
        if low is not None and high is not None and low > high:
            self.error(
                (*loc, "max_amount"),
                f"{label}: max_amount {high} is below min_amount {low}, so it never holds",
            )
        raw = dig(self.data, loc)
        if any(values[k] is None and k in raw for k in values) or any(
            isinstance(v, tuple) and None in v for v in values.values()
        ):
            return None  # a bad value, reported above
        return Conditions(**values)

    def target(self, loc: Loc, label: str) -> Target | None:
        """`route_to: <kind>`, or `route_to: {kind: trade_committee, trade: <trade>}`."""
        raw, spec = dig(self.data, loc), SCHEMA["route_to"]
        if isinstance(raw, str):
            values = {"kind": self.value(raw, spec["kind"], loc, label, "kind"), "trade": None}
            raw = {"kind": raw}
        elif isinstance(raw, dict):
            values = self.read_mapping(raw, loc, label, spec)
        else:
            return self.error(
                loc, f"{label}: 'route_to' must be an organisation kind or {{kind, trade}}"
            )
        kind, trade = values["kind"], values["trade"]
        if kind == "trade_committee" and "trade" not in raw:
            return self.error(
                loc, f"{label}: route_to a trade_committee needs a trade ({', '.join(TRADES)})"
            )
        if kind not in (None, "trade_committee") and "trade" in raw:
            return self.error((*loc, "trade"), f"{label}: 'trade' is only for a trade_committee")
        if kind is None or (trade is None and "trade" in raw):
            return None  # a bad value, reported above
        return Target(kind, trade)

    def check_order(self) -> None:
        """Ids are unique; the last rule has no conditions and no other rule lacks them.
        Looked at in the raw items, so a rule with a bad value elsewhere is still checked."""
        items = dig(self.data, ("rules",))
        items = items if isinstance(items, list) else []
        seen: dict[str, int] = {}
        for i, raw in enumerate(items):
            if not isinstance(raw, dict):
                continue
            line, rule_id = self.line(("rules", i)), raw.get("id")
            if isinstance(rule_id, str) and (first := seen.setdefault(rule_id, line)) != line:
                self.error(line, f"duplicate rule id '{rule_id}' (first on line {first})")
            catch_all = not raw.get("when")
            if catch_all and i < len(items) - 1:
                self.error(
                    line,
                    f"rule '{rule_id}' has no conditions, so the rules below it never apply "
                    "(only the last rule may be the catch-all)",
                )
            elif not catch_all and i == len(items) - 1:
                self.error(
                    line,
                    f"the last rule '{rule_id}' has conditions: end with a catch-all rule "
                    "without 'when', so every case is routed somewhere",
                )
