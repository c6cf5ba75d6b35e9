"""The monthly report's figures from a small county history with known outcomes
(tests/report_setup.py): each indicator, the hotspot rule, risk cases, the ledger, and a
survey answer moving the satisfaction rate."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from backend.report_data import (
    MonthReport,
    find_hotspots,
    month_bounds,
    month_report,
    parse_month,
    shift_month,
)
from backend.report_indicators import Ratio
from tests.report_setup import (
    AS_OF,
    CHENJIA,
    COUNTY,
    accept,
    answer_survey,
    build_history,
    file,
    local,
    refer_to_court,
    withdraw,
)


async def _november(app) -> MonthReport:
    async with app.db.sessions() as session:
        return await month_report(session, "2026-11", zone=COUNTY, at=AS_OF.astimezone(UTC))


def test_months_are_calendar_months_in_the_county_zone() -> None:
    start, end = month_bounds("2026-11", COUNTY)
    assert start == datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert shift_month("2026-01", -1) == "2025-12"
    assert shift_month("2026-12", 1) == "2027-01"
    for bad in ("2026-13", "2026-1", "26-11", "november"):
        with pytest.raises(ValueError):
            parse_month(bad)


def test_the_hotspot_rule_needs_three_cases_and_double_the_average() -> None:
    before = [Counter({"v.a": 1, "v.b": 2}), Counter({"v.b": 2}), Counter({"v.b": 2})]
    now = Counter({"v.a": 3, "v.b": 3, "v.c": 2, "v.d": 4})
    found = find_hotspots(now, before, {"v.a": "t", "v.d": "t"})
    # v.a: 3 >= 2 x 1/3; v.b: 3 < 2 x 2; v.c: only 2 cases; v.d: new, 4 cases
    assert [(h.village_code, h.cases) for h in found] == [("v.d", 4), ("v.a", 3)]
    assert found[1].baseline == pytest.approx(1 / 3)


async def test_each_indicator_counts_what_its_definition_says(app) -> None:
    await build_history(app)
    report = await _november(app)
    ind = report.indicators
    assert ind.answered_48h == Ratio(7, 8)
    assert ind.answered_by_person == 6
    assert ind.finished_30d == Ratio(5, 6)
    assert ind.mediation_success == Ratio(3, 5)
    assert ind.satisfaction == Ratio(1, 1)
    assert ind.self_applied == Ratio(5, 6)


async def test_cases_by_category_and_town_with_the_month_before(app) -> None:
    await build_history(app)
    report = await _november(app)
    assert (report.total, report.previous_total) == (6, 4)
    assert report.by_category == Counter({"neighbour": 5, "land": 1})
    assert report.previous_by_category == Counter({"neighbour": 4})
    assert report.by_town == Counter({"fengqiao": 3, "jiyang": 3})
    assert report.previous_by_town == Counter({"fengqiao": 2, "jiyang": 2})
    assert [m for m, _ in report.trend] == [f"2026-{m:02d}" for m in range(6, 12)]


async def test_a_village_with_an_unusual_rise_is_a_hotspot_and_a_steady_one_is_not(app) -> None:
    await build_history(app)
    report = await _november(app)
    assert [(h.village_code, h.cases) for h in report.hotspots] == [("fengqiao.chenjia", 3)]
    assert report.hotspots[0].baseline == pytest.approx(2 / 3)


async def test_risk_cases_show_the_kind_of_risk_never_the_words(app) -> None:
    h = await build_history(app)
    report = await _november(app)
    [risk] = report.risk_cases
    assert (risk.number, risk.level, risk.reasons) == (h.numbers["e"], "high", ("violence_threat",))
    assert (risk.category, risk.town_code) == ("neighbour", "jiyang")


async def test_a_survey_answer_changes_the_satisfaction_rate(app) -> None:
    h = await build_history(app)
    before = (await _november(app)).indicators.satisfaction
    await answer_survey(app, "e", h.numbers["e"], "2", local(11, 16))
    app.store.clock.set(AS_OF.astimezone(UTC))
    after = await _november(app)
    assert (before, after.indicators.satisfaction) == (Ratio(1, 1), Ratio(1, 2))
    assert {r.number: r.satisfaction for r in after.ledger}[h.numbers["e"]] == 2


async def test_the_ledger_has_one_row_per_case_of_the_month_and_nothing_personal(app) -> None:
    h = await build_history(app)
    report = await _november(app)
    n = h.numbers
    rows = {r.number: r for r in report.ledger}
    assert set(rows) == {n[k] for k in "abcdef"}
    a, c, f = rows[n["a"]], rows[n["c"]], rows[n["f"]]
    assert (a.accepted_within_48h, a.finished_within_30d, a.satisfaction) == (True, True, 5)
    assert (a.outcome, a.reported_by, a.channel) == ("agreement", "self", "console")
    assert a.finished_at == local(11, 10)
    assert (c.reported_by, c.accepted_within_48h, c.finished_within_30d) == ("offline", True, None)
    assert (f.accepted_within_48h, f.finished_within_30d, f.status) == (False, None, "routed")
    assert rows[n["b"]].finished_within_30d is True and rows[n["b"]].outcome == "failed"
    assert "13812345678" not in repr(report) and "王大锤" not in repr(report)


async def test_an_offer_within_its_deadline_and_the_sweeps_hour_is_not_judged_yet(app) -> None:
    await build_history(app)
    async with app.db.sessions() as session:
        early = await month_report(session, "2026-11", zone=COUNTY, at=local(11, 27, 10, 30))
        late = await month_report(session, "2026-11", zone=COUNTY, at=local(11, 27, 11, 1))
    # F's offer ran out at 10:00 on 27 November and nobody passed it on
    assert early.indicators.answered_48h == Ratio(7, 7)
    assert late.indicators.answered_48h == Ratio(7, 8)


async def test_an_offer_accepted_in_time_counts_even_after_the_case_moved_on(app) -> None:
    x = await file(app, "x", local(11, 2), CHENJIA)
    await accept(app, x, local(11, 3))
    await refer_to_court(app, x, local(11, 4))  # the committee's accepted offer ends here
    await accept(app, x, local(11, 5))  # the tribunal's offer, taken by the liaison judge
    y = await file(app, "y", local(11, 10), CHENJIA)
    await withdraw(app, "y", y, local(11, 10, 11))  # its offer ends before anyone had to answer
    report = await _november(app)
    assert report.indicators.answered_48h == Ratio(2, 2)
    assert report.indicators.answered_by_person == 2
