"""Every message key the code uses exists in both catalogues, with the same placeholders."""

import re
import string

import pytest

from bot.i18n import LOCALES, Texts
from jiefen.settings import PROJECT_ROOT

KEY_IN_CODE = re.compile(
    r"""(?:say|reject|option|t)\(\s*["']([a-z_]+\.[a-z_.]+|welcome|help|restarted)["']"""
)
PREFIXED = re.compile(r"""f["']((?:category|status|outcome|when|field)\.)\{""")


@pytest.fixture(scope="module")
def texts() -> Texts:
    return Texts(PROJECT_ROOT / "config" / "locales")


def _keys_used_in_code() -> set[str]:
    used: set[str] = set()
    for path in (PROJECT_ROOT / "bot").rglob("*.py"):
        used |= set(KEY_IN_CODE.findall(path.read_text(encoding="utf-8")))
    return used


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_used_in_code_is_translated(texts: Texts) -> None:
    used = _keys_used_in_code()
    assert len(used) > 60
    for locale in LOCALES:
        assert used - texts.keys(locale) == set(), locale


def test_catalogues_have_the_same_keys_and_placeholders(texts: Texts) -> None:
    zh, en = texts.keys("zh"), texts.keys("en")
    assert zh == en
    for key in zh:
        assert _fields(texts.lookup("zh", key)) == _fields(texts.lookup("en", key)), key


def test_prefixed_families_are_complete(texts: Texts) -> None:
    from backend.statuses import CaseStatus
    from bot.handlers.intake.draft import EDITABLE_FIELDS
    from bot.handlers.intake.facts import OUTCOMES
    from nlu.types import CATEGORIES

    families = {
        "category.": CATEGORIES,
        "status.": [s.value for s in CaseStatus],
        "outcome.": OUTCOMES,
        "field.": EDITABLE_FIELDS,
        "when.": ("today", "week", "month", "earlier"),
    }
    used = set()
    for path in (PROJECT_ROOT / "bot").rglob("*.py"):
        used |= set(PREFIXED.findall(path.read_text(encoding="utf-8")))
    assert used <= set(families)
    for prefix, names in families.items():
        for locale in LOCALES:
            missing = {n for n in names if f"{prefix}{n}" not in texts.keys(locale)}
            assert not missing, (locale, prefix, missing)


def test_dates_are_written_the_local_way(texts: Texts) -> None:
    from datetime import UTC, datetime

    moment = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)
    assert texts.for_locale("zh").when(moment) == "11月23日 14:30"
    assert texts.for_locale("en").when(moment) == "23 Nov, 14:30"
