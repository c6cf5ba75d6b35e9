"""The organisation network: the shipped demo county, and the loader's line-numbered errors."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from backend.org_network import CASE_ROLES, NetworkError, OrgNetwork, load_network
from nlu.types import CATEGORIES, GazetteerEntry

SHIPPED = Path(__file__).resolve().parents[2] / "config" / "organizations.yaml"
TOWN_NAMES = {
    "暨阳街道",
    "浣东街道",
    "陶朱街道",
    "大唐街道",
    "枫桥镇",
    "店口镇",
    "次坞镇",
    "牌头镇",
    "山下湖镇",
    "璜山镇",
}
TRADE_SKILL = {
    "traffic": "traffic_accident",
    "medical": "medical",
    "labour": "labour",
    "property": "property_management",
    "family": "family_marriage",
}


@pytest.fixture(scope="module")
def net() -> OrgNetwork:
    return load_network(SHIPPED)


def staff(net: OrgNetwork, org_code: str, *roles: str) -> list[str]:
    return [m.code for m in net.mediators_of(org_code, roles=roles or ("mediator", "admin"))]


# --- the shipped demo county --------------------------------------------------------------


def test_shipped_file_is_marked_as_demo_data() -> None:
    assert "DEMO DATA" in SHIPPED.read_text(encoding="utf-8").split("\nversion:")[0]


def test_county_and_its_ten_towns(net: OrgNetwork) -> None:
    assert (net.county.code, net.county.name, net.county.timezone) == (
        "zhuji",
        "诸暨市",
        "Asia/Shanghai",
    )
    assert {t.name for t in net.towns} == TOWN_NAMES and len(net.towns) == 10
    for town in net.towns:
        assert town.kind == ("street" if town.name.endswith("街道") else "town")
        assert town.name_en and town.aliases
        assert 3 <= len(town.village_codes) <= 5
        assert all(net.village(c).kind in ("village", "community") for c in town.village_codes)
    assert "枫桥" in net.town("fengqiao").aliases


def test_some_village_names_exist_in_two_towns(net: OrgNetwork) -> None:
    towns_by_name: dict[str, set[str]] = {}
    for v in net.villages:
        towns_by_name.setdefault(v.name, set()).add(v.town_code)
    assert sum(len(towns) >= 2 for towns in towns_by_name.values()) >= 2


def test_derived_organisations_and_hierarchy(net: OrgNetwork) -> None:
    county = net.county_centre()
    assert (county.code, county.name, county.tier, county.parent_code) == (
        "county_centre",
        "诸暨市人民调解中心",
        "county",
        None,
    )
    for town in net.towns:
        centre = net.town_centre(town.code)
        assert (centre.code, centre.kind, centre.tier, centre.parent_code, centre.town_code) == (
            f"{town.code}.centre",
            "town_mediation_centre",
            "town",
            county.code,
            town.code,
        )
    for v in net.villages:
        committee = net.village_committee(v.code)
        assert (committee.kind, committee.tier, committee.village_code) == (
            "village_mediation_committee",
            "village",
            v.code,
        )
        assert [o.code for o in net.escalation_path(committee.code)] == [
            committee.code,
            f"{v.town_code}.centre",
            "county_centre",
        ]
    assert len(net.organizations) == 9 + len(net.towns) + len(net.villages)


def test_county_tier_bodies(net: OrgNetwork) -> None:
    for trade in TRADE_SKILL:
        committee = net.trade_committee(trade)
        assert committee is not None and committee.kind == "trade_committee"
        assert (committee.tier, committee.parent_code) == ("county", None)
    assert net.trade_committee("fishing") is None
    admin = net.administrative_centre()
    assert admin is not None and "行政争议调解中心" in admin.name
    tribunals = [o for o in net.organizations if o.kind == "court_tribunal"]
    assert {t.name for t in tribunals} == {"枫桥人民法庭", "店口人民法庭"}
    covered = Counter(town for t in tribunals for town in t.covers)
    assert set(covered) == {t.code for t in net.towns} and set(covered.values()) == {1}
    assert all(len(t.covers) >= 2 for t in tribunals)
    assert all(net.tribunal_for_town(town).code == t.code for t in tribunals for town in t.covers)


def test_staffing(net: OrgNetwork) -> None:
    for v in net.villages:
        committee = net.village_committee(v.code).code
        assert 1 <= len(staff(net, committee)) <= 2, committee
        assert len(staff(net, committee, "grid_worker")) <= 1
        judge = net.liaison_judge(v.code)
        assert judge.role == "judge"
        assert judge.organization_code == net.tribunal_for_town(v.town_code).code
    for town in net.towns:
        centre = net.town_centre(town.code).code
        assert 2 <= len(staff(net, centre)) <= 3 and len(staff(net, centre, "admin")) == 1
    for code in ["county_centre", "admin_centre", *(f"{t}_committee" for t in TRADE_SKILL)]:
        assert 2 <= len(staff(net, code)) <= 3, code
    assert staff(net, "county_centre", "supervisor")
    for tribunal in ("fengqiao_tribunal", "diankou_tribunal"):
        assert 2 <= len(staff(net, tribunal, "judge")) <= 3
    for trade, skill in TRADE_SKILL.items():
        assert all(skill in net.mediator(c).skills for c in staff(net, f"{trade}_committee"))


def test_every_organisation_can_take_a_case_today(net: OrgNetwork) -> None:
    for org in net.organizations:
        assert net.mediators_of(org.code, on_duty_only=True, roles=CASE_ROLES), org.code


def test_mediators_are_fictional_and_well_formed(net: OrgNetwork) -> None:
    phones = [m.phone for m in net.mediators]
    assert all(p and re.fullmatch(r"1390000\d{4}", p) for p in phones)
    assert len(set(phones)) == len(phones)
    assert len({m.code for m in net.mediators}) == len(net.mediators)
    for m in net.mediators:
        assert set(m.skills) <= set(CATEGORIES) and "zh" in m.languages


def test_gazetteer_entries(net: OrgNetwork) -> None:
    entries = net.gazetteer_entries()
    assert all(isinstance(e, GazetteerEntry) for e in entries)
    assert len(entries) == len(net.towns) + len(net.villages)
    towns = {e.code: e for e in entries if e.kind == "town"}
    assert len(towns) == 10 and towns["fengqiao"].aliases == ("枫桥",)
    assert all(e.parent_code is None for e in towns.values())
    villages = [e for e in entries if e.kind == "village"]
    assert all(e.parent_code in towns and e.code.startswith(f"{e.parent_code}.") for e in villages)
    assert len([e for e in villages if e.name == "新村"]) >= 2


def test_lookups_refuse_unknown_or_wrong_kind_codes(net: OrgNetwork) -> None:
    assert net.organization("fengqiao.chenjia.committee").town_code == "fengqiao"
    for lookup, code in [
        (net.organization, "nowhere"),
        (net.town, "county_centre"),
        (net.village, "fengqiao"),
        (net.mediator, "fengqiao.centre"),
    ]:
        with pytest.raises(KeyError):
            lookup(code)


# --- broken files: every error names its line ---------------------------------------------

MINIMAL = """\
version: 1
county: {code: demo, name: 演示县, name_en: Demo County, timezone: Asia/Shanghai}
towns:
  - code: east
    name: 东镇
    name_en: East Town
    kind: town
    aliases: [东]
    tribunal: tribunal_a
    villages:
      - {code: east.xincun, name: 新村, name_en: Xincun, kind: village, liaison_judge: judge_a}
  - code: west
    name: 西街道
    name_en: West Subdistrict
    kind: street
    tribunal: tribunal_a
    villages:
      - {code: west.xincun, name: 新村, name_en: Xincun, kind: community, liaison_judge: judge_a}
organizations:
  - {code: county_centre, name: 县调解中心, name_en: Centre, kind: county_mediation_centre}
  - {code: traffic_committee, name: 交通委, name_en: Traffic, kind: trade_committee, trade: traffic}
  - {code: admin_centre, name: 行政争议调解中心, name_en: Admin, kind: administrative_centre}
  - {code: tribunal_a, name: 甲法庭, name_en: A, kind: court_tribunal, covers: [east, west]}
  - {code: tribunal_b, name: 乙法庭, name_en: B, kind: court_tribunal, covers: []}
mediators:
  - {code: judge_a, name: 甲法官, organization: tribunal_a, role: judge}
  - {code: judge_b, name: 乙法官, organization: tribunal_b, role: judge, phone: "0575-87001234"}
  - {code: m_east, name: 东调解员, organization: east.xincun.committee, role: mediator, skills: [neighbour], languages: [zh, zh-wuu], on_duty: true, phone: "13900000003"}
  - {code: m_centre, name: 中心调解员, organization: county_centre, role: admin}
"""  # noqa: E501


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "organizations.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(NetworkError) as info:
        load_network(write(tmp_path, text))
    assert str(info.value).startswith(f"{len(info.value.errors)} error(s)")
    return info.value.errors


def line_of(text: str, marker: str) -> int:
    found = [n for n, line in enumerate(text.splitlines(), 1) if marker in line]
    assert len(found) == 1, (marker, found)
    return found[0]


def test_deadlines_come_from_the_organisation_its_town_or_nobody(tmp_path: Path) -> None:
    text = MINIMAL.replace("    kind: street\n", "    kind: street\n    response_hours: 24\n")
    text = text.replace("trade: traffic}", "trade: traffic, mediation_days: 15}")
    net = load_network(write(tmp_path, text))
    assert net.organization("west.centre").response_hours == 24
    assert net.organization("west.xincun.committee").response_hours == 24
    assert net.organization("east.centre").response_hours is None  # county default applies
    assert net.organization("traffic_committee").mediation_days == 15


def test_minimal_network_loads(tmp_path: Path) -> None:
    net = load_network(write(tmp_path, MINIMAL))
    assert [v.name for v in net.villages] == ["新村", "新村"]  # one name, two towns: fine
    assert net.mediator("judge_b").phone == "057587001234"
    assert net.mediator("judge_a").languages == ("zh",) and net.mediator("judge_a").on_duty
    assert net.tribunal_for_town("west").code == "tribunal_a"


E_VILLAGE = (
    "{code: east.xincun, name: 新村, name_en: Xincun, kind: village, liaison_judge: judge_a}"
)
BROKEN = [
    # (id, old text, new text, marker on the expected line, expected fragment)
    (
        "unknown key",
        "    kind: town\n",
        "    kind: town\n    colour: red\n",
        "colour",
        "town 'east': unknown key 'colour'",
    ),
    (
        "unknown key in flow mapping",
        "role: admin}",
        "role: admin, mood: calm}",
        "m_centre",
        "mediator 'm_centre': unknown key 'mood'",
    ),
    (
        "duplicate key",
        "    name: 东镇\n",
        "    name: 东镇\n    name: 东镇二\n",
        "东镇二",
        "duplicate key 'name'",
    ),
    (
        "missing field",
        ", liaison_judge: judge_a}\n  - code: west",
        "}\n  - code: west",
        "code: east.xincun",
        "village 'east.xincun': missing 'liaison_judge'",
    ),
    (
        "missing field in block mapping",
        "    name: 西街道\n",
        "",
        "- code: west",
        "town 'west': missing 'name'",
    ),
    (
        "duplicate code",
        "code: m_centre",
        "code: judge_a",
        "中心调解员",
        "duplicate code 'judge_a' (already used on line 26)",
    ),
    (
        "code clashes with a derived one",
        "code: east.xincun",
        "code: east.centre",
        "east.centre",
        "duplicate code 'east.centre' (already used on line 4 by the centre",
    ),
    ("bad code", "code: m_centre", "code: M-Centre", "M-Centre", "bad code 'M-Centre'"),
    (
        "village code outside its town",
        "code: west.xincun",
        "code: east.other",
        "east.other",
        "village 'east.other': code must be 'west.<name>'",
    ),
    ("unknown town kind", "kind: town", "kind: city", "city", "unknown kind 'city'"),
    (
        "derived kind listed",
        "kind: administrative_centre",
        "kind: town_mediation_centre",
        "admin_centre",
        "unknown kind 'town_mediation_centre'",
    ),
    ("unknown trade", "trade: traffic", "trade: weather", "weather", "unknown trade 'weather'"),
    (
        "trade committee without trade",
        ", trade: traffic}",
        "}",
        "traffic_committee",
        "a trade_committee needs 'trade'",
    ),
    (
        "trade on another kind",
        "kind: administrative_centre}",
        "kind: administrative_centre, trade: labour}",
        "admin_centre",
        "'trade' is only for a trade_committee",
    ),
    (
        "tribunal without covers",
        ", covers: []}",
        "}",
        "code: tribunal_b",
        "a court_tribunal needs 'covers'",
    ),
    (
        "second county centre",
        "kind: administrative_centre",
        "kind: county_mediation_centre",
        "admin_centre",
        "a second county_mediation_centre (the first is 'county_centre')",
    ),
    (
        "no county centre",
        "kind: county_mediation_centre",
        "kind: administrative_centre",
        "organizations:",
        "no county_mediation_centre is listed",
    ),
    ("unknown role", "role: admin", "role: boss", "boss", "unknown role 'boss'"),
    (
        "skill not a category",
        "skills: [neighbour]",
        "skills: [neighbour, cooking]",
        "cooking",
        "unknown skill 'cooking' (not in nlu.types.CATEGORIES)",
    ),
    (
        "bad language tag",
        "languages: [zh, zh-wuu]",
        "languages: [zh, Wu]",
        "m_east",
        "bad language 'Wu'",
    ),
    (
        "unquoted phone",
        'phone: "13900000003"',
        "phone: 13900000003",
        "m_east",
        "'phone' must be a non-empty string (quote it)",
    ),
    ("bad phone", 'phone: "13900000003"', 'phone: "139-0000"', "m_east", "bad phone '139-0000'"),
    (
        "on_duty not a bool",
        "on_duty: true",
        "on_duty: maybe",
        "m_east",
        "'on_duty' must be true or false",
    ),
    (
        "unknown organisation",
        "organization: county_centre",
        "organization: county_center",
        "m_centre",
        "mediator 'm_centre' refers to unknown organisation 'county_center'",
    ),
    (
        "judge outside a tribunal",
        "organization: tribunal_b",
        "organization: county_centre",
        "judge_b",
        "a judge belongs to a court_tribunal, not to 'county_centre'",
    ),
    (
        "unknown tribunal",
        "kind: street\n    tribunal: tribunal_a",
        "kind: street\n    tribunal: tribunal_x",
        "tribunal_x",
        "town 'west' refers to unknown court_tribunal 'tribunal_x'",
    ),
    (
        "tribunal of the wrong kind",
        "kind: street\n    tribunal: tribunal_a",
        "kind: street\n    tribunal: county_centre",
        "tribunal: county_centre",
        "town 'west': 'county_centre' is not a court_tribunal",
    ),
    (
        "town names the other tribunal",
        "kind: street\n    tribunal: tribunal_a",
        "kind: street\n    tribunal: tribunal_b",
        "tribunal: tribunal_b",
        "town 'west' names tribunal 'tribunal_b' but 'tribunal_a' covers it",
    ),
    (
        "town not covered",
        "covers: [east, west]",
        "covers: [east]",
        "- code: west",
        "town 'west' is not in any tribunal's covers",
    ),
    (
        "town covered twice",
        "covers: []",
        "covers: [west]",
        "code: tribunal_b",
        "town 'west' is covered by both 'tribunal_a' and 'tribunal_b'",
    ),
    (
        "covers an unknown town",
        "covers: []",
        "covers: [north]",
        "code: tribunal_b",
        "tribunal 'tribunal_b' refers to unknown town 'north'",
    ),
    (
        "liaison judge unknown",
        E_VILLAGE,
        E_VILLAGE.replace("judge_a", "judge_z"),
        "code: east.xincun",
        "village 'east.xincun' refers to unknown judge 'judge_z'",
    ),
    (
        "liaison judge not a judge",
        E_VILLAGE,
        E_VILLAGE.replace("judge_a", "m_centre"),
        "code: east.xincun",
        "village 'east.xincun': 'm_centre' is not a judge",
    ),
    (
        "liaison judge of another tribunal",
        E_VILLAGE,
        E_VILLAGE.replace("judge_a", "judge_b"),
        "code: east.xincun",
        "liaison_judge 'judge_b' is a judge of 'tribunal_b', not of 'tribunal_a'",
    ),
    (
        "ambiguous town alias",
        "    kind: street\n",
        "    kind: street\n    aliases: [东]\n",
        "- code: west",
        "'west': name or alias '东' is already used by 'east'",
    ),
    (
        "town without villages",
        f"    villages:\n      - {E_VILLAGE}",
        "    villages: []",
        "villages: []",
        "town 'east': needs at least one village",
    ),
    (
        "item not a mapping",
        "  - {code: m_centre",
        "  - just a name\n  - {code: m_centre",
        "just a name",
        "mediator must be a mapping",
    ),
    ("bad timezone", "Asia/Shanghai", "Asia/Zhuji", "county:", "bad timezone 'Asia/Zhuji'"),
    (
        "response hours not a number",
        "    kind: street\n",
        "    kind: street\n    response_hours: two days\n",
        "response_hours",
        "'response_hours' must be a whole number",
    ),
    (
        "mediation days out of range",
        "kind: trade_committee, trade: traffic}",
        "kind: trade_committee, trade: traffic, mediation_days: 400}",
        "traffic_committee",
        "bad mediation_days 400 (1 to 180 days)",
    ),
    ("unsupported version", "version: 1", "version: 2", "version", "unsupported version 2"),
]


@pytest.mark.parametrize(
    ("old", "new", "marker", "fragment"), [pytest.param(*case[1:], id=case[0]) for case in BROKEN]
)
def test_broken_file_names_the_line(
    tmp_path: Path, old: str, new: str, marker: str, fragment: str
) -> None:
    assert MINIMAL.count(old) == 1, old
    text = MINIMAL.replace(old, new)
    prefix = f"organizations.yaml:{line_of(text, marker)}: "
    errors = errors_of(tmp_path, text)
    assert any(e.startswith(prefix) and fragment in e for e in errors), errors


def test_all_errors_are_collected_in_line_order(tmp_path: Path) -> None:
    text = (
        MINIMAL.replace("kind: town", "kind: city")
        .replace("trade: traffic", "trade: weather")
        .replace("role: admin", "role: boss")
        .replace("organization: county_centre", "organization: county_center")
        .replace("covers: [east, west]", "covers: [east]")
    )
    errors = errors_of(tmp_path, text)
    expected = [
        (line_of(text, "kind: city"), "unknown kind 'city'"),
        (line_of(text, "- code: west"), "town 'west' is not in any tribunal's covers"),
        (line_of(text, "weather"), "unknown trade 'weather'"),
        (line_of(text, "m_centre"), "unknown role 'boss'"),
        (line_of(text, "m_centre"), "unknown organisation 'county_center'"),
    ]
    for line, fragment in expected:
        assert any(
            e.startswith(f"organizations.yaml:{line}: ") and fragment in e for e in errors
        ), (fragment, errors)
    lines = [int(e.split(":")[1]) for e in errors]
    assert len(errors) >= len(expected) and lines == sorted(lines)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "organizations.yaml:1: the file is empty"),
        ("version: 1\ncounty: [unclosed\n", "invalid YAML"),
        ("- just\n- a list\n", "organizations.yaml:1: file must be a mapping"),
        (
            "version: 1\ncounty: {code: x, name: x, name_en: x, timezone: UTC}\ntowns: {}\n",
            "organizations.yaml:3: file: 'towns' must be a list",
        ),
    ],
)
def test_unreadable_files(tmp_path: Path, text: str, fragment: str) -> None:
    assert any(fragment in e for e in errors_of(tmp_path, text))


# --- office hours (booking) -----------------------------------------------------------------


def test_every_judge_holds_weekly_hours(net: OrgNetwork) -> None:
    judges = [m for m in net.mediators if m.role == "judge"]
    assert judges and all(m.office_hours for m in judges)
    for hours in (h for m in net.mediators for h in m.office_hours):
        assert 1 <= hours.weekday <= 7 and hours.start < hours.end
        assert hours.place or hours.video
    assert any(m.office_hours for m in net.mediators if m.role == "mediator")


def test_office_hours_load(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        "role: judge}",
        'role: judge, office_hours: [{weekday: 3, start: "09:00", end: "11:30", '
        "place: 甲法庭调解室, video: true}]}",
        1,
    )
    hours = load_network(write(tmp_path, text)).mediator("judge_a").office_hours
    assert [h.as_dict() for h in hours] == [
        {
            "weekday": 3,
            "start": "09:00",
            "end": "11:30",
            "slot_minutes": 30,
            "place": "甲法庭调解室",
            "video": True,
        }
    ]


@pytest.mark.parametrize(
    ("hours", "fragment"),
    [
        ('{weekday: 8, start: "09:00", end: "11:00", place: x}', "bad weekday 8 (1 (Monday)"),
        ("{weekday: 1, start: 9:00, end: 11:00, place: x}", "'start' must be a non-empty string"),
        ('{weekday: 1, start: "9am", end: "11:00", place: x}', "bad start '9am'"),
        ('{weekday: 1, start: "11:00", end: "09:00", place: x}', "holds no 30-minute slot"),
        ('{weekday: 1, start: "09:00", end: "11:00"}', "needs a place, or video: true"),
        ('{weekday: 1, start: "09:00", end: "11:00", place: x, colour: red}', "unknown key"),
        ('{weekday: 1, start: "09:00", end: "11:00", place: x, slot_minutes: 5}', "10 to 240"),
    ],
)
def test_broken_office_hours_name_their_line(tmp_path: Path, hours: str, fragment: str) -> None:
    text = MINIMAL.replace(
        "role: judge}", "role: judge,\n      office_hours: [\n        " + hours + "]}", 1
    )
    errors = errors_of(tmp_path, text)
    line = line_of(text, hours)
    assert any(e.startswith(f"organizations.yaml:{line}: ") and fragment in e for e in errors), (
        line,
        errors,
    )
