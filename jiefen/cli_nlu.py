"""`jiefen nlu`: parse, evaluate and train the NLU from the command line."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from jiefen.settings import Settings, load_settings
from nlu.types import NluBackend


def _gazetteer(settings: Settings):
    from backend.org_network import load_network
    from nlu.gazetteer import Gazetteer

    return Gazetteer(load_network(settings.organizations_path).gazetteer_entries())


def _today(settings: Settings) -> date:
    return datetime.now(ZoneInfo(settings.timezone)).date()


def open_nlu(settings: Settings, backend: str | None = None) -> NluBackend:
    from jiefen.nlu_factory import create_nlu

    return create_nlu(settings, _gazetteer(settings), lambda: _today(settings), backend=backend)


@click.group()
def nlu() -> None:
    """The dispute classifier, entity extraction and risk flag."""


@nlu.command("parse")
@click.argument("text", required=False)
@click.option("--json", "as_json", is_flag=True, help="print JSON (the default output)")
@click.option("--backend", type=click.Choice(["builtin", "rasa"]), default=None)
def parse(text: str | None, as_json: bool, backend: str | None) -> None:
    """Parse TEXT, or one text per line of standard input (one JSON object per line)."""
    model = open_nlu(load_settings(), backend)
    texts = [text] if text is not None else (line.rstrip("\r\n") for line in sys.stdin)
    for item in texts:
        result = model.parse_sync(item)  # type: ignore[attr-defined]
        click.echo(
            json.dumps(
                result.to_dict(), ensure_ascii=False, indent=None if text is None or as_json else 2
            )
        )


@nlu.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.option("--backend", type=click.Choice(["builtin", "rasa"]), default=None)
def evaluate_file(file: Path, as_json: bool, backend: str | None) -> None:
    """Score the model on FILE (JSONL lines {"text", "label"})."""
    from nlu.evaluation import evaluate, read_jsonl

    model = open_nlu(load_settings(), backend)
    report = evaluate(model.parse_sync, read_jsonl(file))  # type: ignore[attr-defined]
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
        return
    click.echo(
        f"n={report['n']} accuracy={report['accuracy']:.3f} "
        f"macro_f1={report['macro_f1']:.3f} p50={report['latency_ms']['p50']:.2f}ms "
        f"p99={report['latency_ms']['p99']:.2f}ms"
    )


@nlu.command("train")
def train() -> None:
    """Retrain the builtin model from nlu/data (it retrains by itself when the data changes)."""
    from nlu.builtin import BuiltinNlu

    settings = load_settings()
    model = BuiltinNlu.train(settings.nlu_data_dir, settings.nlu_cache_dir)
    click.echo(json.dumps(model.report, ensure_ascii=False, indent=2, default=str))
