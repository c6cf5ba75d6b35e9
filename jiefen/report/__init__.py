"""The monthly analysis and early-warning report, rendered from backend/report_data.py's
figures: report.md, report.html, four PNG charts and the case ledger (CSV and XLSX)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from backend.report_data import MonthReport
from bot.i18n import Texts
from jiefen.report.charts import chart_locale, draw_charts, find_cjk_font
from jiefen.report.document import write_documents
from jiefen.report.labels import Labels
from jiefen.report.ledger import write_csv, write_xlsx


def write_report(
    report: MonthReport,
    out_dir: Path,
    texts: Texts,
    *,
    locale: str = "zh",
    font: str | Literal["auto"] | None = "auto",
) -> list[Path]:
    """Writes every file into `out_dir` (created if needed) and returns their paths.
    `font` is the CJK font family for the charts: "auto" finds one, None means there is none
    (the charts get English labels)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    labels = Labels(texts.for_locale(locale), report)
    family = find_cjk_font() if font == "auto" else font
    drawn_in = chart_locale(locale, family)
    chart_labels = labels if drawn_in == locale else Labels(texts.for_locale(drawn_in), report)
    charts = draw_charts(out_dir, chart_labels, family)
    stem = f"ledger-{report.month}"
    ledger = [
        write_csv(out_dir / f"{stem}.csv", labels),
        write_xlsx(out_dir / f"{stem}.xlsx", labels),
    ]
    documents = write_documents(out_dir, labels, charts, ledger)
    return [*documents, *charts.values(), *ledger]
