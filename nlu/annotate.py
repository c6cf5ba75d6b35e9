"""Entities and risk for any backend: every backend reports the same normalised values,
whoever classified the intent."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from nlu.entities import extract_entities
from nlu.gazetteer import Gazetteer
from nlu.risk import assess_risk
from nlu.types import Entity, Risk

log = logging.getLogger(__name__)


class Annotator:
    def __init__(
        self, gazetteer: Gazetteer | None = None, today_fn: Callable[[], date] | None = None
    ) -> None:
        self.gazetteer, self.today_fn = gazetteer, today_fn

    def entities(self, text: str) -> tuple[Entity, ...]:
        today = self.today_fn() if self.today_fn else None
        try:
            return tuple(extract_entities(text, gazetteer=self.gazetteer, today=today))
        except Exception:  # a bad extractor must not cost the resident the whole turn
            log.exception("entity extraction failed; continuing without entities")
            return ()

    def risk(self, text: str) -> Risk:
        try:
            return assess_risk(text)
        except Exception:
            # Never silent: a risk check that fails is logged as an error for the duty staff.
            log.exception("risk assessment failed; reporting no risk for this message")
            return Risk()
