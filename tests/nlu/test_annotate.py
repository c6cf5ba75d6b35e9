from datetime import date
from typing import Any

import pytest

from nlu import annotate
from nlu.annotate import Annotator
from nlu.gazetteer import Gazetteer
from nlu.types import GazetteerEntry


def test_entities_use_the_gazetteer_and_the_given_day() -> None:
    gazetteer = Gazetteer([GazetteerEntry("fq", "枫桥镇", "town", None, ("枫桥",))])
    annotator = Annotator(gazetteer, lambda: date(2026, 11, 21))
    found = {(e.type, e.value) for e in annotator.entities("前天在枫桥镇被人打了")}
    assert ("place", "fq") in found and ("date", "2026-11-19") in found


def test_a_failing_extractor_costs_the_entities_not_the_parse(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(text: str, **_: Any) -> list:
        raise RuntimeError("boom")

    monkeypatch.setattr(annotate, "extract_entities", broken)
    assert Annotator().entities("老板欠我3000块") == ()
    assert "entity extraction failed" in caplog.text


def test_a_failing_risk_check_is_logged_as_an_error(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(annotate, "assess_risk", lambda text: 1 / 0)
    assert Annotator().risk("我要砍死他").level == "none"
    assert any(r.levelname == "ERROR" for r in caplog.records)
