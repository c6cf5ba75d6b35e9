"""report.md and report.html from one context: the month's figures as table rows, already in
the report's language. The HTML is self-contained (charts embedded as data URIs), so it can be
mailed on its own; the Markdown links the PNG files beside it."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from backend.report_data import (
    HOTSPOT_BASELINE,
    HOTSPOT_FACTOR,
    HOTSPOT_MIN_CASES,
    MonthReport,
)
from backend.report_indicators import INDICATORS
from jiefen.report.labels import Labels

_ENV = Environment(
    loader=PackageLoader("jiefen.report", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def _comparison(labels: Labels, now: Any, before: Any, name: Any) -> list[dict[str, Any]]:
    codes = sorted(set(now) | set(before), key=lambda c: (-now[c], -before[c], c))
    return [
        {
            "label": name(code),
            "now": now[code],
            "before": before[code],
            "change": labels.change(now[code], before[code]),
        }
        for code in codes
    ]


def _indicators(labels: Labels) -> list[dict[str, Any]]:
    report = labels.report
    rows = []
    for key in INDICATORS:
        now, before = report.indicators.ratio(key), report.previous_indicators.ratio(key)
        rows.append(
            {
                "name": labels(f"report.indicator.{key}.name"),
                "value": labels.percent(now),
                "fraction": f"{now.numerator}/{now.denominator}",
                "before": labels.percent(before),
                "change": labels.point_change(now, before),
                "definition": labels(f"report.indicator.{key}.definition"),
            }
        )
    return rows


def context(labels: Labels, charts: dict[str, str], ledger_files: list[str]) -> dict[str, Any]:
    report: MonthReport = labels.report
    previous_month = report.trend[-2][0]
    answered = report.indicators.answered_48h
    return {
        "t": labels,
        "title": labels("report.title", month=labels.month(report.month)),
        "generated": labels("report.generated", when=labels.when(report.generated_at),
                            zone=report.zone),
        "overview": labels(
            "report.overview",
            total=report.total,
            previous=report.previous_total,
            previous_month=labels.month(previous_month),
            change=labels.change(report.total, report.previous_total),
            hotspots=len(report.hotspots),
            risk_cases=len(report.risk_cases),
        ),
        "indicators": _indicators(labels),
        "answered_note": labels(
            "report.indicator.answered_48h.note",
            by_person=report.indicators.answered_by_person,
            rerouted=answered.numerator - report.indicators.answered_by_person,
        ),
        "previous_month": labels.month(previous_month),
        "this_month": labels.month(report.month),
        "categories": _comparison(
            labels, report.by_category, report.previous_by_category, labels.category
        ),
        "towns": _comparison(labels, report.by_town, report.previous_by_town, labels.place),
        "hotspot_rule": labels(
            "report.hotspots.rule",
            min_cases=HOTSPOT_MIN_CASES,
            factor=f"{HOTSPOT_FACTOR:g}",
            months=HOTSPOT_BASELINE,
        ),
        "hotspots": [
            {
                "village": labels.place(h.village_code),
                "town": labels.place(h.town_code),
                "cases": h.cases,
                "baseline": f"{h.baseline:.1f}",
            }
            for h in report.hotspots
        ],
        "risk_cases": [
            {
                "number": r.number,
                "category": labels.category(r.category),
                "town": labels.place(r.town_code),
                "level": labels.risk_level(r.level),
                "reasons": labels.risk_reasons(r.reasons),
                "status": labels.status(r.status),
            }
            for r in report.risk_cases
        ],
        "trend_months": [m for m, _ in report.trend],
        "trend": [
            {
                "name": labels(f"report.indicator.{key}.short"),
                "cells": [labels.percent(ind.ratio(key)) for _, ind in report.trend],
            }
            for key in INDICATORS
        ],
        "charts": charts,
        "ledger_note": labels("report.ledger.note", count=len(report.ledger)),
        "ledger_files": ledger_files,
    }


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def write_documents(
    out_dir: Path, labels: Labels, charts: dict[str, Path], ledger_files: list[Path]
) -> list[Path]:
    names = [p.name for p in ledger_files]
    md = _ENV.get_template("report.md.j2").render(
        context(labels, {k: p.name for k, p in charts.items()}, names)
    )
    html = _ENV.get_template("report.html.j2").render(
        context(labels, {k: _data_uri(p) for k, p in charts.items()}, names)
    )
    md_path, html_path = out_dir / "report.md", out_dir / "report.html"
    md_path.write_text(md, encoding="utf-8")
    html_path.write_text(html, encoding="utf-8")
    return [md_path, html_path]
