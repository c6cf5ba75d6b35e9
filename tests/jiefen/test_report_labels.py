"""Every label the report uses exists in both catalogues: the keys in jiefen/report's code and
templates, and a label for each status, outcome, channel, way of reporting and kind of risk."""

from __future__ import annotations

import re

import pytest

from backend.report_indicators import INDICATORS
from backend.statuses import CaseStatus
from bot.i18n import LOCALES, Texts
from jiefen.report.ledger import COLUMNS
from jiefen.settings import PROJECT_ROOT

KEY = re.compile(r"""(?:t|labels|self\.t)\(\s*["'](report\.[a-z0-9_.]+)["']""")
PARTS = ("name", "short", "definition")
RISK_KIND = re.compile(r"""_r\(\s*"([a-z_]+)\"""")


@pytest.fixture(scope="module")
def texts() -> Texts:
    return Texts(PROJECT_ROOT / "config" / "locales")


def test_every_report_key_in_code_and_templates_is_translated(texts: Texts) -> None:
    folder = PROJECT_ROOT / "jiefen" / "report"
    used: set[str] = set()
    for path in [*folder.glob("*.py"), *folder.glob("templates/*.j2")]:
        used |= set(KEY.findall(path.read_text(encoding="utf-8")))
    assert len(used) > 20
    for locale in LOCALES:
        assert used - texts.keys(locale) == set(), locale


def test_every_code_the_report_shows_has_a_label(texts: Texts) -> None:
    risk_kinds = set(RISK_KIND.findall((PROJECT_ROOT / "nlu" / "risk.py").read_text("utf-8")))
    assert "violence_threat" in risk_kinds
    families = {
        "report.status.": [s.value for s in CaseStatus],
        "report.outcome.": ["agreement", "failed", "withdrawn"],
        "report.reported_by.": ["self", "proxy", "offline"],
        "report.channel.": ["console", "webchat", "telegram", "wechat", "staff"],
        "report.risk.": sorted(risk_kinds),
        "report.ledger.": list(COLUMNS),
        "report.indicator.": [f"{k}.{p}" for k in INDICATORS for p in PARTS],
    }
    for locale in LOCALES:
        keys = texts.keys(locale)
        for prefix, names in families.items():
            assert {n for n in names if prefix + n not in keys} == set(), (locale, prefix)
