"""`BuiltinNlu`: the in-process NLU backend (intent + category + entities + risk), with a cache.

The cache holds one joblib file per training-data fingerprint (`nlu.training_data.
data_fingerprint`: file bytes + model version), so editing any `nlu/data` file retrains on the
next start and an unchanged data dir loads in a fraction of a second.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import joblib

from nlu.annotate import Annotator
from nlu.builtin.decision import Decision
from nlu.builtin.model import BuiltinModel
from nlu.training_data import MODEL_VERSION, data_fingerprint, load_training_data
from nlu.types import ParseResult

if TYPE_CHECKING:
    from nlu.builtin.training import TrainConfig
    from nlu.gazetteer import Gazetteer

log = logging.getLogger(__name__)

CACHE_PREFIX = "builtin-"
CACHE_SUFFIX = ".joblib"


def cache_path(cache_dir: Path, fingerprint: str) -> Path:
    return Path(cache_dir) / f"{CACHE_PREFIX}{fingerprint[:24]}{CACHE_SUFFIX}"


class BuiltinNlu:
    """Implements `nlu.types.NluBackend`. Parsing is pure CPU work of well under a millisecond
    for the classifier, so `parse` runs inline rather than in a thread."""

    name = "builtin"

    def __init__(
        self,
        model: BuiltinModel,
        *,
        gazetteer: Gazetteer | None = None,
        today_fn: Callable[[], date] | None = None,
        fingerprint: str = "",
    ) -> None:
        self.model = model
        self.gazetteer = gazetteer
        self.today_fn = today_fn
        self.annotator = Annotator(gazetteer, today_fn)
        self.fingerprint = fingerprint
        self.loaded_from_cache = False

    @classmethod
    def load(
        cls,
        data_dir: Path,
        cache_dir: Path,
        *,
        gazetteer: Gazetteer | None = None,
        today_fn: Callable[[], date] | None = None,
    ) -> BuiltinNlu:
        """The cached model if it was trained on exactly these files, else a freshly trained
        (and cached) one."""
        started = time.perf_counter()
        fingerprint = data_fingerprint(data_dir)
        path = cache_path(cache_dir, fingerprint)
        model = _read_cache(path, fingerprint)
        if model is not None:
            nlu = cls(model, gazetteer=gazetteer, today_fn=today_fn, fingerprint=fingerprint)
            nlu.loaded_from_cache = True
            nlu.warm_up()
            log.info("builtin NLU loaded from %s in %.0f ms", path,
                     (time.perf_counter() - started) * 1000)
            return nlu
        return cls.train(data_dir, cache_dir, gazetteer=gazetteer, today_fn=today_fn)

    @classmethod
    def train(
        cls,
        data_dir: Path,
        cache_dir: Path | None = None,
        *,
        gazetteer: Gazetteer | None = None,
        today_fn: Callable[[], date] | None = None,
        config: TrainConfig | None = None,
    ) -> BuiltinNlu:
        """Trains from `data_dir` now (imports scikit-learn); caches the result if `cache_dir`
        is given (only for the default config, as the fingerprint does not cover the config)."""
        from nlu.builtin.training import train_model

        fingerprint = data_fingerprint(data_dir)
        model = train_model(load_training_data(data_dir), config)
        model.report["fingerprint"] = fingerprint
        if cache_dir is not None and config is None:
            _write_cache(cache_path(cache_dir, fingerprint), fingerprint, model)
        nlu = cls(model, gazetteer=gazetteer, today_fn=today_fn, fingerprint=fingerprint)
        nlu.warm_up()
        return nlu

    def warm_up(self) -> None:
        """One throw-away parse: imports the entity and risk modules and compiles their
        patterns now (~60 ms) rather than during the first resident's message."""
        self.parse_sync("你好 老板欠我3000块工资 昨天打电话13800000000也不接")

    @property
    def report(self) -> dict[str, Any]:
        """How the model was trained: sizes, cross-validated scores, temperature, thresholds."""
        return self.model.report

    def classify(self, text: str) -> Decision:
        """Intent, category and category ranking only (no entities, no risk)."""
        return self.model.decide(text)

    def parse_sync(self, text: str) -> ParseResult:
        decision = self.model.decide(text)
        return ParseResult(
            intent=decision.intent,
            category=decision.category,
            category_ranking=decision.ranking,
            entities=self.annotator.entities(text),
            risk=self.annotator.risk(text),
            backend=self.name,
        )

    async def parse(self, text: str) -> ParseResult:
        return self.parse_sync(text)

def _read_cache(path: Path, fingerprint: str) -> BuiltinModel | None:
    if not path.is_file():
        return None
    try:
        payload = joblib.load(path)
    except Exception as exc:  # truncated or from an incompatible version: retrain
        log.warning("ignoring unreadable NLU cache %s: %s", path, exc)
        return None
    if (
        not isinstance(payload, dict)
        or payload.get("fingerprint") != fingerprint
        or payload.get("model_version") != MODEL_VERSION
        or not isinstance(payload.get("model"), BuiltinModel)
    ):
        log.warning("ignoring stale NLU cache %s", path)
        return None
    return payload["model"]


def _write_cache(path: Path, fingerprint: str, model: BuiltinModel) -> None:
    """Atomic (write then rename) so a concurrent start never reads half a file; older cache
    files are removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"fingerprint": fingerprint, "model_version": MODEL_VERSION, "model": model}
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=CACHE_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            joblib.dump(payload, fh)
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    for old in path.parent.glob(f"{CACHE_PREFIX}*{CACHE_SUFFIX}"):
        if old != path:
            old.unlink(missing_ok=True)
    log.info("cached builtin NLU model at %s", path)
