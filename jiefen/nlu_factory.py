"""Chooses the NLU backend named in the settings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from jiefen.settings import Settings
from nlu.gazetteer import Gazetteer
from nlu.types import NluBackend


def create_nlu(
    settings: Settings,
    gazetteer: Gazetteer,
    today: Callable[[], date],
    *,
    backend: str | None = None,
) -> NluBackend:
    from nlu.builtin import BuiltinNlu

    builtin = BuiltinNlu.load(
        settings.nlu_data_dir, settings.nlu_cache_dir, gazetteer=gazetteer, today_fn=today
    )
    if (backend or settings.nlu_backend) == "builtin":
        return builtin
    from nlu.annotate import Annotator
    from nlu.rasa_backend import RasaNlu

    return RasaNlu(
        settings.rasa_url,
        settings.rasa_token,
        builtin,
        Annotator(gazetteer, today),
        timeout=settings.rasa_timeout_seconds,
    )
