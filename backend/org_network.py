"""The county's mediation network (config/organizations.yaml) as a validated, frozen tree.

Pure (PyYAML + dataclasses, no database) so routing, the gazetteer and tests use it directly;
`jiefen orgs load` syncs it into the case store. All problems are reported at once, each with
its line ("organizations.yaml:42: mediator 'm_x' refers to unknown organisation 'foo'"): the
file is edited by hand, and one rerun per mistake would be tedious. This module is the model:
types, lookups, the schema as data (SCHEMA) and the derivation rule; the reading and
checking live in backend/org_network_loader.py.

Schema, version 1 (annotated in the file's header comment); codes are lowercase ascii, unique:
    county: {code, name, name_en, timezone}
    towns: [{code, name, name_en, kind: town|street, aliases?, tribunal,
             villages: [{code: <town>.<x>, name, name_en, kind: village|community, aliases?,
                         liaison_judge}]}]
    organizations: [{code, name, name_en, kind, trade?, covers?}]   # all tier county
    mediators: [{code, name, organization, role, skills?, languages?, on_duty?, phone?,
                 office_hours?: [{weekday: 1-7, start: "HH:MM", end: "HH:MM", slot_minutes?,
                                  place?, video?}]}]
Kinds: county_mediation_centre (exactly one), trade_committee (trade: traffic|medical|labour|
property|family; one each), administrative_centre (at most one), court_tribunal (covers: towns;
each town covered once, by the tribunal it names). Derived, never listed: `<town>.centre`
(town_mediation_centre, parent the county centre) and `<village>.committee`
(village_mediation_committee, parent its town centre). Judges sit at tribunals, grid workers
at village committees; a village's liaison_judge is a judge of the tribunal covering its town.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

from backend.yaml_check import ConfigFileError, FieldSpec
from nlu.types import CATEGORIES, GazetteerEntry

TOWN_KINDS = ("town", "street")
VILLAGE_KINDS = ("village", "community")
EXPLICIT_KINDS = (
    "county_mediation_centre",
    "trade_committee",
    "administrative_centre",
    "court_tribunal",
)
TRADES = ("traffic", "medical", "labour", "property", "family")
ROLES = ("mediator", "admin", "supervisor", "judge", "grid_worker")
CASE_ROLES = ("mediator", "admin", "judge")  # the roles that take cases
ROLE_HOME = {"judge": "court_tribunal", "grid_worker": "village_mediation_committee"}
# Routing picks these by kind (and trade), so the county has one of each (per trade).
SINGLE_KINDS = ("county_mediation_centre", "administrative_centre", "trade_committee")


class NetworkError(ConfigFileError):
    """Every problem found in the file, each "<file>:<line>: <message>", in line order."""

    what = "the organisation network"


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    name_en: str
    kind: str  # town | street | village | community
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Town(Place):
    tribunal_code: str
    village_codes: tuple[str, ...]
    response_hours: int | None = None  # for the town centre and its village committees
    mediation_days: int | None = None


@dataclass(frozen=True)
class Village(Place):
    town_code: str
    liaison_judge_code: str


@dataclass(frozen=True)
class County:
    code: str
    name: str
    name_en: str
    timezone: str
    response_hours: int | None = None  # the default for every organisation
    mediation_days: int | None = None


@dataclass(frozen=True)
class OrgDef:
    """An organisation as configured (*Def* keeps it apart from models.Organization)."""

    code: str
    name: str
    name_en: str
    kind: str
    tier: str  # village | town | county
    parent_code: str | None = None
    town_code: str | None = None
    village_code: str | None = None
    trade: str | None = None
    covers: tuple[str, ...] = ()
    response_hours: int | None = None
    mediation_days: int | None = None


@dataclass(frozen=True)
class OfficeHours:
    """One weekly window residents can book (a judge's or mediator's 接待日), in the county's
    zone: weekday 1 (Monday) to 7, "HH:MM" times, cut into slots of `slot_minutes`."""

    weekday: int
    start: str
    end: str
    slot_minutes: int = 30
    place: str | None = None  # where to meet in person; None = video only
    video: bool = False  # a video call may be booked instead

    def as_dict(self) -> dict[str, Any]:
        return {
            "weekday": self.weekday,
            "start": self.start,
            "end": self.end,
            "slot_minutes": self.slot_minutes,
            "place": self.place,
            "video": self.video,
        }


@dataclass(frozen=True)
class MediatorDef:
    code: str
    name: str
    organization_code: str
    role: str
    skills: tuple[str, ...] = ()
    languages: tuple[str, ...] = ("zh",)
    on_duty: bool = True
    phone: str | None = None  # digits only
    office_hours: tuple[OfficeHours, ...] = ()


@dataclass(frozen=True)
class OrgNetwork:
    """The validated network. Lookups by code raise KeyError: callers hold codes from here."""

    county: County
    towns: tuple[Town, ...]
    villages: tuple[Village, ...]
    organizations: tuple[OrgDef, ...]
    mediators: tuple[MediatorDef, ...]
    _by_code: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Codes are unique across the file, so one index serves every kind of item.
        every = (*self.towns, *self.villages, *self.organizations, *self.mediators)
        object.__setattr__(self, "_by_code", {x.code: x for x in every})

    def _get(self, code: str, cls: type[Any]) -> Any:
        if not isinstance(found := self._by_code.get(code), cls):
            raise KeyError(f"no {cls.__name__} with code {code!r}")
        return found

    def town(self, code: str) -> Town:
        return self._get(code, Town)

    def village(self, code: str) -> Village:
        return self._get(code, Village)

    def villages_of(self, town_code: str) -> tuple[Village, ...]:
        return tuple(self.village(c) for c in self.town(town_code).village_codes)

    def organization(self, code: str) -> OrgDef:
        return self._get(code, OrgDef)

    def mediator(self, code: str) -> MediatorDef:
        return self._get(code, MediatorDef)

    def county_centre(self) -> OrgDef:
        return next(o for o in self.organizations if o.kind == "county_mediation_centre")

    def town_centre(self, town_code: str) -> OrgDef:
        return self.organization(f"{self.town(town_code).code}.centre")

    def village_committee(self, village_code: str) -> OrgDef:
        return self.organization(f"{self.village(village_code).code}.committee")

    def trade_committee(self, trade: str) -> OrgDef | None:
        """None when the county has no committee for the trade: routing falls through."""
        return next((o for o in self.organizations if o.trade == trade), None)

    def administrative_centre(self) -> OrgDef | None:
        return next((o for o in self.organizations if o.kind == "administrative_centre"), None)

    def tribunal_for_town(self, town_code: str) -> OrgDef:
        return self.organization(self.town(town_code).tribunal_code)

    def escalation_path(self, code: str) -> tuple[OrgDef, ...]:
        """The organisation and the tiers above it: village committee, town centre, county."""
        path = [self.organization(code)]
        while (parent := path[-1].parent_code) is not None:
            path.append(self.organization(parent))
        return tuple(path)

    def mediators_of(
        self, org_code: str, *, on_duty_only: bool = False, roles: tuple[str, ...] = ROLES
    ) -> tuple[MediatorDef, ...]:
        return tuple(
            m
            for m in self.mediators
            if m.organization_code == org_code
            and m.role in roles
            and (m.on_duty or not on_duty_only)
        )

    def liaison_judge(self, village_code: str) -> MediatorDef:
        return self.mediator(self.village(village_code).liaison_judge_code)

    def gazetteer_entries(self) -> list[GazetteerEntry]:
        """Towns/streets as kind "town", villages/communities as "village": the NLU's kinds."""
        return [
            GazetteerEntry(
                p.code,
                p.name,
                "village" if isinstance(p, Village) else "town",
                p.town_code if isinstance(p, Village) else None,
                p.aliases,
            )
            for t in self.towns
            for p in (t, *self.villages_of(t.code))
        ]


_TEXT = FieldSpec()
_CODE = FieldSpec(check=re.compile(r"[a-z][a-z0-9_]*"), hint="lowercase ascii, no dots")
_OPTIONAL_LIST = FieldSpec("list", required=False, default=())
_NAMED = {"code": _CODE, "name": _TEXT, "name_en": _TEXT}
# Optional deadlines: hours to answer an offer (1 day to 2 weeks), days to finish mediating.
_DEADLINES = {
    "response_hours": FieldSpec(
        "int", required=False, check=lambda h: 1 <= h <= 336, hint="1 to 336 hours"
    ),
    "mediation_days": FieldSpec(
        "int", required=False, check=lambda d: 1 <= d <= 180, hint="1 to 180 days"
    ),
}
_HHMM = FieldSpec(check=re.compile(r"([01]\d|2[0-3]):[0-5]\d"), hint='quoted "HH:MM", like "09:00"')
SCHEMA: dict[str, dict[str, FieldSpec]] = {
    "file": {
        "version": FieldSpec("any"),
        "county": FieldSpec("any"),
        **dict.fromkeys(("towns", "organizations", "mediators"), FieldSpec("items")),
    },
    "county": {
        **_NAMED,
        **_DEADLINES,
        "timezone": FieldSpec(
            check=lambda zone: zone in available_timezones(), hint="an IANA zone"
        ),
    },
    "town": {
        **_NAMED,
        **_DEADLINES,
        "kind": FieldSpec(check=TOWN_KINDS),
        "aliases": _OPTIONAL_LIST,
        "tribunal": FieldSpec(attr="tribunal_code"),
        "villages": FieldSpec("items"),
    },
    "village": {
        **_NAMED,
        "code": FieldSpec(
            check=re.compile(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*"),
            hint="<town code>.<lowercase ascii>",
        ),
        "kind": FieldSpec(check=VILLAGE_KINDS),
        "aliases": _OPTIONAL_LIST,
        "liaison_judge": FieldSpec(attr="liaison_judge_code"),
    },
    "organisation": {
        **_NAMED,
        **_DEADLINES,
        "kind": FieldSpec(check=EXPLICIT_KINDS),
        "trade": FieldSpec(required=False, check=TRADES),
        "covers": _OPTIONAL_LIST,
    },
    "mediator": {
        "code": _CODE,
        "name": _TEXT,
        "organization": FieldSpec(attr="organization_code"),
        "role": FieldSpec(check=ROLES),
        "skills": FieldSpec("list", False, CATEGORIES, "not in nlu.types.CATEGORIES", ()),
        "languages": FieldSpec(
            "list",
            False,
            re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})*"),
            "like zh, en, zh-wuu",
            ("zh",),
        ),
        "on_duty": FieldSpec("bool", required=False, default=True),
        "phone": FieldSpec(
            required=False,
            check=re.compile(r"1[3-9]\d{9}|0\d{2,3}-?\d{7,8}"),
            hint="a quoted mobile like 13900001234 or 0575-87001234",
        ),
        "office_hours": FieldSpec("items", required=False, default=()),
    },
    "office_hours": {
        "weekday": FieldSpec("int", check=lambda d: 1 <= d <= 7, hint="1 (Monday) to 7 (Sunday)"),
        "start": _HHMM,
        "end": _HHMM,
        "slot_minutes": FieldSpec(
            "int", required=False, default=30, check=lambda m: 10 <= m <= 240, hint="10 to 240"
        ),
        "place": FieldSpec(required=False),
        "video": FieldSpec("bool", required=False, default=False),
    },
}


def derived_organizations(
    towns: list[Town], villages: list[Village], county_centre: str | None
) -> list[OrgDef]:
    """Every town has a mediation centre and every village a committee; they are never listed
    in the file, so a new village cannot be forgotten."""
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
                parent_code=county_centre,
                town_code=t.code,
                response_hours=t.response_hours,
                mediation_days=t.mediation_days,
            )
        )
        out.extend(
            OrgDef(
                f"{v.code}.committee",
                f"{t.name}{v.name}人民调解委员会",
                f"{t.name_en} {v.name_en} People's Mediation Committee",
                "village_mediation_committee",
                "village",
                parent_code=f"{t.code}.centre",
                town_code=t.code,
                village_code=v.code,
                response_hours=t.response_hours,
                mediation_days=t.mediation_days,
            )
            for v in (by_code[c] for c in t.village_codes)
        )
    return out


def load_network(path: Path) -> OrgNetwork:
    """Read and validate the file; raise NetworkError listing every problem found."""
    from backend.org_network_loader import read_network  # it builds the types defined here

    return read_network(path)
