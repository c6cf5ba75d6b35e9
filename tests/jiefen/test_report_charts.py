"""The report's charts: Chinese labels drawn with a CJK font, and English labels (with a log
warning) where no CJK font is installed, never boxes for missing glyphs."""

from __future__ import annotations

import logging
import warnings
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from backend.report_data import LedgerRow, MonthReport
from backend.report_indicators import Indicators, Ratio
from bot.i18n import Texts
from jiefen.report import write_report
from jiefen.report.charts import chart_locale, find_cjk_font
from jiefen.settings import PROJECT_ROOT

NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


def _indicators(n: int) -> Indicators:
    return Indicators(Ratio(n, 4), n, Ratio(n, 5), Ratio(1, 2), Ratio(2, 3), Ratio(3, 4))


def _report() -> MonthReport:
    row = LedgerRow(
        "2026-000001", NOW, None, None, "neighbour", "fengqiao", "fengqiao.chenjia", None,
        "village", "routed", None, "self", "wechat", "none", None, None, None,
    )
    return MonthReport(
        month="2026-11",
        zone="Asia/Shanghai",
        generated_at=NOW,
        total=3,
        previous_total=1,
        by_category=Counter({"neighbour": 2, "labour": 1}),
        previous_by_category=Counter({"neighbour": 1}),
        by_town=Counter({"fengqiao": 3}),
        previous_by_town=Counter({"fengqiao": 1}),
        hotspots=[],
        risk_cases=[],
        indicators=_indicators(3),
        previous_indicators=_indicators(2),
        trend=[(f"2026-{m:02d}", _indicators(m % 4)) for m in range(6, 12)],
        ledger=[row],
        place_names={"fengqiao": ("枫桥镇", "Fengqiao Town")},
    )


def _glyph_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_without_a_cjk_font_the_charts_are_drawn_in_english_and_the_log_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    texts = Texts(PROJECT_ROOT / "config" / "locales")
    with caplog.at_level(logging.WARNING), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        files = write_report(_report(), tmp_path, texts, locale="zh", font=None)
    assert {p.name for p in files} >= {"categories.png", "towns.png", "indicators.png", "trend.png"}
    assert _glyph_warnings(caught) == []  # nothing Chinese was drawn without a font
    assert "no CJK font" in caplog.text and "install-fonts.sh" in caplog.text
    assert "## 本月案件按类别" in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_the_chart_language_falls_back_only_when_chinese_cannot_be_drawn() -> None:
    assert chart_locale("zh", None) == "en"
    assert chart_locale("zh", "Noto Sans CJK SC") == "zh"
    assert chart_locale("en", None) == "en"


def test_with_a_cjk_font_chinese_labels_have_every_glyph(tmp_path: Path) -> None:
    family = find_cjk_font()
    if family is None:
        pytest.skip("no CJK font installed: run scripts/install-fonts.sh (CI does)")
    texts = Texts(PROJECT_ROOT / "config" / "locales")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        write_report(_report(), tmp_path, texts, locale="zh")
    assert _glyph_warnings(caught) == []
