"""Rasa Open Source as a served model, over its HTTP API (`POST /model/parse`).

Rasa classifies intent and category; entities and risk come from our own extractors, so every
backend reports the same normalised values. When the server is down, slow or answers
nonsense, the builtin model answers instead: the log says so, the resident never notices.
After a failure Rasa is left alone for `retry_after` seconds, so a dead server does not add
its timeout to every message.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx

from nlu.annotate import Annotator
from nlu.types import DISPUTE_INTENT_PREFIX, NluBackend, ParseResult, Ranked

log = logging.getLogger(__name__)
REPORT_DISPUTE = "report_dispute"
FALLBACK = "nlu_fallback"
DISPUTE_MASS = 0.5
RANKING_SIZE = 5


class RasaUnavailable(RuntimeError):
    pass


def from_rasa(answer: dict[str, Any], annotator: Annotator, text: str) -> ParseResult:
    """Maps Rasa's answer onto our contract: dispute_<category> intents become
    report_dispute plus a category ranked among the dispute intents only."""
    try:
        intent = answer["intent"]
        ranking = answer.get("intent_ranking") or [intent]
        top_name, top_conf = str(intent["name"]), float(intent["confidence"])
    except (KeyError, TypeError, ValueError) as exc:
        raise RasaUnavailable(f"unexpected answer from Rasa: {exc!r}") from exc
    disputes = [
        (str(r["name"])[len(DISPUTE_INTENT_PREFIX) :], float(r["confidence"]))
        for r in ranking
        if str(r.get("name", "")).startswith(DISPUTE_INTENT_PREFIX)
    ]
    dispute_conf = sum(conf for _, conf in disputes)
    categories = tuple(
        Ranked(name, round(conf / (dispute_conf or 1.0), 4))
        for name, conf in sorted(disputes, key=lambda d: -d[1])[:RANKING_SIZE]
    )
    # Rasa's fallback fires when no single intent is confident; a message whose confidence is
    # spread over several dispute categories is still a dispute (the dialogue offers a menu).
    spread_dispute = top_name == FALLBACK and dispute_conf >= DISPUTE_MASS
    if top_name.startswith(DISPUTE_INTENT_PREFIX) or spread_dispute:
        intent_ranked = Ranked(REPORT_DISPUTE, round(min(dispute_conf, 1.0), 4))
        category = categories[0] if categories else Ranked("other", 0.0)
    else:
        intent_ranked = Ranked(top_name, round(top_conf, 4))
        category = Ranked("other", 0.0)
    return ParseResult(
        intent=intent_ranked,
        category=category,
        category_ranking=categories,
        entities=annotator.entities(text),
        risk=annotator.risk(text),
        backend="rasa",
    )


class RasaNlu:
    name = "rasa"

    def __init__(
        self,
        url: str,
        token: str,
        fallback: NluBackend,
        annotator: Annotator,
        *,
        timeout: float = 2.0,
        retry_after: float = 30.0,
    ) -> None:
        self.url = url.rstrip("/") + "/model/parse"
        self.params = {"token": token} if token else {}
        self.fallback, self.annotator = fallback, annotator
        self.timeout, self.retry_after = timeout, retry_after
        self._down_until = 0.0
        self._client = httpx.AsyncClient(timeout=timeout)
        self._sync_client = httpx.Client(timeout=timeout)

    def _available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _mark_down(self, problem: object) -> None:
        if self._available():
            log.warning(
                "Rasa at %s failed (%s); using the builtin model for %.0f s",
                self.url,
                problem,
                self.retry_after,
            )
        self._down_until = time.monotonic() + self.retry_after

    async def parse(self, text: str) -> ParseResult:
        if self._available():
            try:
                response = await self._client.post(
                    self.url, params=self.params, json={"text": text}
                )
                response.raise_for_status()
                return from_rasa(response.json(), self.annotator, text)
            except (httpx.HTTPError, ValueError, RasaUnavailable) as exc:
                self._mark_down(exc)
        return await self.fallback.parse(text)

    def parse_sync(self, text: str) -> ParseResult:
        if self._available():
            try:
                response = self._sync_client.post(self.url, params=self.params, json={"text": text})
                response.raise_for_status()
                return from_rasa(response.json(), self.annotator, text)
            except (httpx.HTTPError, ValueError, RasaUnavailable) as exc:
                self._mark_down(exc)
        return self.fallback.parse_sync(text)  # type: ignore[attr-defined]

    async def aclose(self) -> None:
        await self._client.aclose()
        self._sync_client.close()
