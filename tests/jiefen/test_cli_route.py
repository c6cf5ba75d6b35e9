"""`jiefen route explain` against a real database, and a broken routing file at start-up."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from backend import residents
from backend.cases import submit_case
from backend.records import CaseDraft
from backend.routing_rules import (
    CONDITION_NAMES,
    KIND_TIERS,
    SCOPES,
    WISHES,
    Reason,
    load_rules,
)
from bot.i18n import LOCALES, Texts
from jiefen.cli import main
from jiefen.cli_route import _LABELS, reason_text
from jiefen.settings import PROJECT_ROOT, Settings
from nlu.entities.parties import PARTY_ROLES
from nlu.types import RISK_LEVELS

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
RULES = PROJECT_ROOT / "config" / "routing.yaml"


async def _one_case(settings: Settings, draft: CaseDraft) -> str:
    from jiefen.app import build_app

    class _NoNlu:  # the commands below never parse text
        name = "none"

    app = await build_app(settings, nlu=_NoNlu())  # type: ignore[arg-type]
    try:
        async with app.db.sessions() as session, session.begin():
            resident = await residents.resident_for(session, "console", "r1", at=T0, locale="zh")
            receipt = await submit_case(
                session, resident, draft, channel="console", at=T0, rules=app.store.rules
            )
        return receipt.number
    finally:
        await app.close()


@pytest.fixture
def env(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for key, value in {
        "JIEFEN_DATABASE_URL": settings.database_url,
        "JIEFEN_VAR_DIR": str(settings.var_dir),
        "JIEFEN_SECRET_KEY": settings.secret_key,
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("JIEFEN_ROUTING_FILE", raising=False)
    monkeypatch.chdir(tmp_path)
    return settings


WORKERS = CaseDraft(
    description="我们30个工人被拖欠工资",
    category="labour",
    town_code="fengqiao",
    village_code="fengqiao.chenjia",
    other_party="厂里老板",
    other_party_role="employer",
    amount_yuan=600_000,
    group_size=30,
    scope="village",
    wish="mediation",
)


def test_explain_prints_the_facts_the_rule_and_why(env: Settings) -> None:
    number = asyncio.run(_one_case(env, WORKERS))
    result = CliRunner().invoke(main, ["route", "explain", number])
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"案件 {number}" in out
    assert "一方人数：30" in out and "对方：老板 / 用人单位（employer）" in out
    stored = "登记时分到：诸暨市劳动争议人民调解委员会（labour_committee）（规则 group_labour）"
    assert stored in out
    assert "地点：枫桥镇 陈家村" in out
    line = next(r.line for r in load_rules(RULES).rules if r.id == "group_labour")
    assert f"匹配规则：group_labour（第 {line} 行）" in out
    assert "说明：一方10人以上的群体性劳动争议" in out
    assert "纠纷类别是“劳动争议（欠薪、工伤等）”；本规则列出的类别：劳动争议" in out
    assert "当事人一方有 30 人，不少于 10 人" in out
    assert "受理组织：诸暨市劳动争议人民调解委员会（labour_committee，县级）" in out
    assert "调解员：" in out


def test_explain_what_if_in_english_and_as_json(env: Settings) -> None:
    number = asyncio.run(_one_case(env, WORKERS))
    runner = CliRunner()
    result = runner.invoke(main, ["route", "explain", number, "--wish", "court", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "(what if: wish)" in result.output
    assert "Matching rule: wants_court" in result.output
    assert "Fengqiao People's Tribunal (fengqiao_tribunal, county tier)" in result.output
    result = runner.invoke(main, ["route", "explain", number, "--json", "--group-size", "3"])
    data = json.loads(result.output)
    assert data["rule"]["id"] == "labour" and data["organization"]["code"] == "labour_committee"
    assert data["stored_rule"] == "group_labour" and data["facts"]["group_size"] == 3


def test_explain_an_unknown_case(env: Settings) -> None:
    asyncio.run(_one_case(env, WORKERS))  # a database with the network loaded
    result = CliRunner().invoke(main, ["route", "explain", "2026-999999"])
    assert result.exit_code == 1 and "没有编号为 2026-999999 的案件" in result.output


BROKEN = """\
version: 1
rules:
  - id: big
    说明: 大额
    when: {min_amount: 十万}
    route_to: town_centre
  - id: rest
    说明: 其他
    when: {category: [labor]}
    route_to: village_mediation_committee
"""


def test_a_broken_routing_file_stops_the_server_start(
    env: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "routing.yaml"
    broken.write_text(BROKEN, encoding="utf-8")
    monkeypatch.setenv("JIEFEN_ROUTING_FILE", str(broken))
    for command in (["serve"], ["chat", "--user", "x"], ["route", "explain", "2026-000001"]):
        result = CliRunner().invoke(main, command, input="")
        assert result.exit_code == 1, (command, result.output)
        assert "4 error(s) in the routing rules:" in result.output
        assert "routing.yaml:5: rule 'big': 'min_amount' must be a whole number" in result.output
        assert "routing.yaml:6: rule 'big': unknown kind 'town_centre'" in result.output
        assert "routing.yaml:9: rule 'rest': unknown category 'labor'" in result.output
        assert "routing.yaml:7: the last rule 'rest' has conditions" in result.output
        assert "Traceback" not in result.output


def test_every_reason_and_label_is_in_both_catalogues() -> None:
    rules = load_rules(RULES)
    texts = Texts(PROJECT_ROOT / "config" / "locales")
    assert set(_LABELS) | {"min_amount", "max_amount", "min_group_size"} == set(CONDITION_NAMES)
    families = {
        "route.reason.": (*CONDITION_NAMES, "always"),
        "route.kind.": tuple(KIND_TIERS),
        "route.tier.": tuple(set(KIND_TIERS.values())),
        "route.scope.": SCOPES,
        "route.wish.": WISHES,
        "route.risk.": RISK_LEVELS,
        "route.party.": PARTY_ROLES,
    }
    for locale in LOCALES:
        keys = texts.keys(locale)
        for prefix, names in families.items():
            assert {f"{prefix}{n}" for n in names} <= keys, (locale, prefix)
        assert all(f"route.kind.{r.route_to.kind}" in keys for r in rules.rules)
        t = texts.for_locale(locale)
        assert "10" in reason_text(t, Reason("min_group_size", 30, 10))
