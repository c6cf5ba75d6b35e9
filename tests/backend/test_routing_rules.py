"""The routing rules: every shipped rule exercised by a table row, evaluation and its reasons,
and the loader's line-numbered errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.routing_rules import (
    KIND_TIERS,
    Reason,
    RoutingFacts,
    RoutingRules,
    RulesError,
    Target,
    evaluate,
    load_rules,
    match_rule,
)

SHIPPED = Path(__file__).resolve().parents[2] / "config" / "routing.yaml"
TOWN = Target("town_mediation_centre")
COUNTY = Target("county_mediation_centre")
VILLAGE = Target("village_mediation_committee")
ADMIN = Target("administrative_centre")


def trade(name: str) -> Target:
    return Target("trade_committee", name)


F = RoutingFacts
# (rule expected to match, facts, where it goes). Every shipped rule needs a row.
TABLE: list[tuple[str, RoutingFacts, Target]] = [
    ("violence_risk", F("labour", risk_level="high", group_size=30), TOWN),
    ("violence_risk", F("neighbour", risk_level="high", wish="court"), TOWN),
    ("against_government", F("expropriation", other_party_role="government"), ADMIN),
    ("against_government", F("labour", group_size=30, other_party_role="government"), ADMIN),
    ("administrative_dispute", F("administrative"), ADMIN),
    ("wants_court", F("debt_contract", amount_yuan=60_000, wish="court"), Target("court_tribunal")),
    ("wants_court", F("family_marriage", wish="court"), Target("court_tribunal")),
    ("against_village_committee", F("land", other_party_role="village_committee"), TOWN),
    ("group_labour", F("labour", group_size=30, other_party_role="employer"), trade("labour")),
    ("group_labour", F("labour", group_size=10), trade("labour")),
    ("injured_at_work", F("personal_injury", other_party_role="employer"), trade("labour")),
    ("traffic", F("traffic_accident", amount_yuan=50_000, other_party_role="insurer"),
     trade("traffic")),
    ("medical", F("medical", other_party_role="hospital"), trade("medical")),
    ("against_hospital", F("personal_injury", other_party_role="hospital"), trade("medical")),
    ("labour", F("labour", amount_yuan=28_000, group_size=9), trade("labour")),
    ("labour", F("labour", amount_yuan=5_000_000, scope="cross_town"), trade("labour")),
    ("property", F("property_management", group_size=40), trade("property")),
    ("family", F("family_marriage", amount_yuan=200_000), trade("family")),
    ("against_insurer", F("consumer", other_party_role="insurer"), COUNTY),
    ("very_large_amount", F("debt_contract", amount_yuan=1_000_000), COUNTY),
    ("cross_town", F("environment", scope="cross_town"), COUNTY),
    ("cross_town", F("land", amount_yuan=150_000, scope="cross_town"), COUNTY),
    ("large_amount", F("construction", amount_yuan=100_000, scope="cross_village"), TOWN),
    ("group_dispute", F("environment", group_size=12, scope="village"), TOWN),
    ("cross_village", F("land", scope="cross_village"), TOWN),
    ("default", F("neighbour", scope="village", group_size=3, amount_yuan=5_000), VILLAGE),
    ("default", F("debt_contract", amount_yuan=99_999), VILLAGE),
    ("default", F("land", group_size=9, risk_level="medium"), VILLAGE),
    ("default", F("other"), VILLAGE),
]


@pytest.fixture(scope="module")
def shipped() -> RoutingRules:
    return load_rules(SHIPPED)


@pytest.mark.parametrize(
    ("rule_id", "facts", "target"), TABLE, ids=[f"{r}-{i}" for i, (r, _, _) in enumerate(TABLE)]
)
def test_shipped_rules_route_each_case_of_the_table(
    shipped: RoutingRules, rule_id: str, facts: RoutingFacts, target: Target
) -> None:
    match = evaluate(shipped, facts)
    assert (match.rule.id, match.rule.route_to) == (rule_id, target)


def test_every_shipped_rule_has_a_row_in_the_table(shipped: RoutingRules) -> None:
    assert {r.id for r in shipped.rules} == {rule_id for rule_id, _, _ in TABLE}


def test_shipped_rules_are_described_in_chinese_and_end_with_the_village(
    shipped: RoutingRules,
) -> None:
    for rule in shipped.rules:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in rule.description), rule.id
        assert rule.line > 0
    assert shipped.rules[-1].when.is_empty() and shipped.rules[-1].route_to == VILLAGE
    assert shipped.source == "routing.yaml"


def test_the_issue_scenarios(shipped: RoutingRules) -> None:
    group = evaluate(shipped, F("labour", group_size=30, other_party_role="employer"))
    assert group.rule.route_to == trade("labour") and group.rule.route_to.tier == "county"
    town_hall = evaluate(shipped, F("expropriation", other_party_role="government"))
    assert town_hall.rule.route_to.kind == "administrative_centre"


def test_reasons_name_each_condition_with_the_case_value_and_the_limit(
    shipped: RoutingRules,
) -> None:
    match = evaluate(shipped, F("labour", group_size=30))
    assert match.reasons == (
        Reason("category", "labour", ("labour",)),
        Reason("min_group_size", 30, 10),
    )
    assert evaluate(shipped, F("neighbour")).reasons == (Reason("always"),)
    court = evaluate(shipped, F("other", wish="court"))
    assert court.reasons == (Reason("wish", "court", "court"),)


def test_unknown_facts_meet_no_condition(shipped: RoutingRules) -> None:
    rule = shipped.rule("large_amount")
    assert match_rule(rule, F("land")) is None  # amount unknown
    assert match_rule(rule, F("land", amount_yuan=100_000)) == (
        Reason("min_amount", 100_000, 100_000),
    )
    assert match_rule(shipped.rule("wants_court"), F("land", wish="")) is None  # = mediation


def test_tiers_of_the_kinds() -> None:
    assert KIND_TIERS["village_mediation_committee"] == "village"
    assert Target("town_mediation_centre").tier == "town"
    assert trade("labour").tier == "county" and str(trade("labour")) == "trade_committee:labour"


# --- broken files: every error names its line ----------------------------------------------

MINIMAL = """\
version: 1
rules:
  - id: big
    说明: 大额纠纷交镇调解中心
    when:
      category: [debt_contract, labour]
      min_amount: 100000
      max_amount: 5000000
      risk: [none, low]
      min_group_size: 2
      other_party: [company]
      scope: [village]
      wish: mediation
    route_to: town_mediation_centre
  - id: trades
    说明: 劳动争议交劳动调委会
    when: {category: [labour]}
    route_to: {kind: trade_committee, trade: labour}
  - id: rest
    说明: 其他交村调委会
    route_to: village_mediation_committee
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "routing.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(RulesError) as info:
        load_rules(write(tmp_path, text))
    assert str(info.value).startswith(f"{len(info.value.errors)} error(s) in the routing rules")
    return info.value.errors


def line_of(text: str, marker: str) -> int:
    found = [n for n, line in enumerate(text.splitlines(), 1) if marker in line]
    assert len(found) == 1, (marker, found)
    return found[0]


def test_minimal_rules_load(tmp_path: Path) -> None:
    rules = load_rules(write(tmp_path, MINIMAL))
    assert [r.id for r in rules.rules] == ["big", "trades", "rest"]
    big = rules.rule("big")
    assert big.when.category == ("debt_contract", "labour") and big.when.min_amount == 100_000
    assert big.when.wish == "mediation" and big.line == 3
    assert rules.rule("trades").route_to == trade("labour")
    facts = F("debt_contract", amount_yuan=200_000, group_size=2, other_party_role="company",
              scope="village")
    assert evaluate(rules, facts).rule.id == "big"
    assert evaluate(rules, F("labour", amount_yuan=200_000)).rule.id == "trades"
    with pytest.raises(KeyError):
        rules.rule("nope")


def test_a_when_left_empty_is_a_catch_all(tmp_path: Path) -> None:
    text = MINIMAL.replace("    route_to: village_mediation_committee", "    when:\n"
                           "    route_to: village_mediation_committee")
    assert load_rules(write(tmp_path, text)).rules[-1].when.is_empty()


BROKEN = [
    # (id, old text, new text, marker on the expected line, expected fragment)
    ("unknown rule key", "  - id: trades\n", "  - id: trades\n    colour: red\n", "colour",
     "rule 'trades': unknown key 'colour'"),
    ("unknown condition", "      wish: mediation\n", "      wish: mediation\n      weather: rain\n",
     "weather", "rule 'big': unknown key 'weather'"),
    ("bad category", "[debt_contract, labour]", "[debt_contract, labor]", "labor",
     "rule 'big': unknown category 'labor' (see nlu/types.py CATEGORIES)"),
    ("bad risk level", "[none, low]", "[none, severe]", "severe", "unknown risk 'severe'"),
    ("bad party role", "[company]", "[bank]", "[bank]", "unknown other_party 'bank'"),
    ("bad scope", "[village]", "[province]", "province", "unknown scope 'province'"),
    ("bad wish", "wish: mediation", "wish: lawsuit", "lawsuit", "unknown wish 'lawsuit'"),
    ("category not a list", "[debt_contract, labour]", "labour", "category: labour",
     "rule 'big': 'category' must be a list"),
    ("amount not a number", "min_amount: 100000", "min_amount: 10万", "10万",
     "rule 'big': 'min_amount' must be a whole number"),
    ("group of one", "min_group_size: 2", "min_group_size: 1", "min_group_size",
     "rule 'big': bad min_group_size 1 (people, 2 or more)"),
    ("min above max", "max_amount: 5000000", "max_amount: 5000", "max_amount",
     "max_amount 5000 is below min_amount 100000, so it never holds"),
    ("empty list", "[company]", "[]", "other_party", "'other_party' lists nothing"),
    ("bad kind", "route_to: town_mediation_centre", "route_to: town_centre", "town_centre",
     "rule 'big': unknown kind 'town_centre'"),
    ("bad kind in mapping", "{kind: trade_committee, trade: labour}",
     "{kind: trade_board, trade: labour}", "trade_board", "unknown kind 'trade_board'"),
    ("bad trade", "trade: labour}", "trade: fishing}", "fishing", "unknown trade 'fishing'"),
    ("trade committee without trade", "{kind: trade_committee, trade: labour}",
     "{kind: trade_committee}", "kind: trade_committee", "needs a trade (traffic, medical"),
    ("trade on another kind", "route_to: town_mediation_centre",
     "route_to: {kind: town_mediation_centre, trade: labour}", "kind: town_mediation_centre",
     "'trade' is only for a trade_committee"),
    ("route_to not a kind", "route_to: town_mediation_centre", "route_to: [town]", "[town]",
     "'route_to' must be an organisation kind or {kind, trade}"),
    ("missing route_to", "    route_to: town_mediation_centre\n", "", "- id: big",
     "rule 'big': missing 'route_to'"),
    ("missing description", "    说明: 劳动争议交劳动调委会\n", "", "- id: trades",
     "rule 'trades': missing '说明'"),
    ("non-ascii id", "id: trades", "id: 劳动", "id: 劳动", "bad id '劳动' (lowercase ascii)"),
    ("duplicate id", "id: trades", "id: big  # again", "# again",
     "duplicate rule id 'big' (first on line 3)"),
    ("duplicate key", "      wish: mediation\n", "      wish: mediation\n      wish: court\n",
     "wish: court", "duplicate key 'wish'"),
    ("no catch-all at the end", "    route_to: village_mediation_committee",
     "    when: {risk: [low]}\n    route_to: village_mediation_committee", "- id: rest",
     "the last rule 'rest' has conditions: end with a catch-all rule"),
    ("catch-all too early", "    when: {category: [labour]}\n", "", "- id: trades",
     "rule 'trades' has no conditions, so the rules below it never apply"),
    ("bad version", "version: 1", "version: 2", "version", "unsupported version 2 (expected 1)"),
    ("unknown top-level key", "version: 1\n", "version: 1\ncounty: x\n", "county",
     "file: unknown key 'county'"),
    ("rules not a list", MINIMAL[MINIMAL.index("rules:"):], "rules: {}\n", "rules",
     "file: 'rules' must be a list"),
    ("no rules", MINIMAL[MINIMAL.index("rules:"):], "rules: []\n", "rules", "no rules"),
]


@pytest.mark.parametrize(("old", "new", "marker", "fragment"), [b[1:] for b in BROKEN],
                         ids=[b[0] for b in BROKEN])
def test_each_mistake_is_reported_with_its_line(
    tmp_path: Path, old: str, new: str, marker: str, fragment: str
) -> None:
    assert old in MINIMAL
    text = MINIMAL.replace(old, new, 1)
    errors = errors_of(tmp_path, text)
    expected = f"routing.yaml:{line_of(text, marker)}: "
    assert any(e.startswith(expected) and fragment in e for e in errors), errors


def test_all_mistakes_are_reported_at_once_in_line_order(tmp_path: Path) -> None:
    text = (
        MINIMAL.replace("labour]", "labor]", 1)
        .replace("route_to: town_mediation_centre", "route_to: town_centre")
        .replace("id: trades", "id: big  # again")
        .replace("    route_to: village_mediation_committee",
                 "    when: {wish: court}\n    route_to: village_mediation_committee")
    )
    errors = errors_of(tmp_path, text)
    assert len(errors) == 4
    lines = [int(e.split(":")[1]) for e in errors]
    assert lines == sorted(lines)
    assert [line_of(text, m) for m in ("labor", "town_centre", "# again", "- id: rest")] == lines


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "routing.yaml:1: the file is empty"),
        ("rules: [\n  - id: x\n", "routing.yaml:2: invalid YAML"),
        ("- just\n- a list\n", "routing.yaml:1: the file must be a mapping"),
        ("rules:\n  - 42\n", "routing.yaml:2: a rule must be a mapping"),
    ],
)
def test_files_that_are_not_rules_at_all(tmp_path: Path, text: str, fragment: str) -> None:
    assert any(fragment in e for e in errors_of(tmp_path, text))
