"""The report's charts as PNG files (matplotlib's Agg renderer, no display needed).

Chinese labels need a CJK font (scripts/install-fonts.sh installs Noto Sans CJK). Without one
the charts are drawn with English labels, and the log says so, rather than with boxes.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from functools import cache
from pathlib import Path

import matplotlib
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from backend.report_indicators import INDICATORS
from jiefen.report.labels import Labels

log = logging.getLogger(__name__)
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Heiti SC",
    "Droid Sans Fallback",
    "AR PL UMing CN",
)
# File names of CJK fonts, for one installed after matplotlib cached its font list.
_CJK_FILE_HINTS = ("cjk", "wqy", "sourcehan", "droidsansfallback", "simhei", "msyh", "uming")
THIS, BEFORE = "#c0392b", "#95a5a6"
TREND_COLOURS = ("#c0392b", "#2980b9", "#27ae60", "#8e44ad", "#d35400")


def _known_family() -> str | None:
    names = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in names), None)


@cache
def find_cjk_font() -> str | None:
    """A font family with Chinese glyphs that matplotlib can use, or None."""
    family = _known_family()
    if family is None:
        for path in font_manager.findSystemFonts():
            if any(hint in Path(path).name.lower() for hint in _CJK_FILE_HINTS):
                font_manager.fontManager.addfont(path)
        family = _known_family()
    return family


def chart_locale(locale: str, family: str | None) -> str:
    """The language of the chart labels: the report's, or English when Chinese cannot be
    drawn (no CJK font)."""
    if family is None and locale == "zh":
        log.warning(
            "no CJK font for the report's charts: labels are in English "
            "(install one with scripts/install-fonts.sh)"
        )
        return "en"
    return locale


def _save(figure: Figure, path: Path) -> Path:
    FigureCanvasAgg(figure)
    figure.savefig(path, dpi=110, bbox_inches="tight")
    return path


def _compare(
    path: Path,
    title: str,
    now: Counter[str],
    before: Counter[str],
    label: Callable[[str], str],
    legend: tuple[str, str],
) -> Path:
    codes = sorted(set(now) | set(before), key=lambda c: (-now[c], -before[c], c))
    rows = max(len(codes), 1)
    figure = Figure(figsize=(8, 1.2 + 0.42 * rows))
    axes = figure.add_subplot()
    positions = list(range(len(codes)))
    axes.barh([p + 0.2 for p in positions], [before[c] for c in codes], 0.4, color=BEFORE)
    axes.barh([p - 0.2 for p in positions], [now[c] for c in codes], 0.4, color=THIS)
    axes.set_yticks(positions, [label(c) for c in codes])
    axes.invert_yaxis()
    axes.set_title(title)
    axes.legend(list(reversed(legend)), loc="upper left", bbox_to_anchor=(1.01, 1))
    axes.xaxis.get_major_locator().set_params(integer=True)
    for spot, value in zip(positions, (now[c] for c in codes), strict=True):
        axes.annotate(str(value), (value, spot - 0.2), xytext=(3, 0), textcoords="offset points",
                      va="center", fontsize=8)
    return _save(figure, path)


def _indicator_bars(path: Path, labels: Labels) -> Path:
    report = labels.report
    names = [labels(f"report.indicator.{k}.short") for k in INDICATORS]
    now = [(report.indicators.ratio(k).value or 0) * 100 for k in INDICATORS]
    before = [(report.previous_indicators.ratio(k).value or 0) * 100 for k in INDICATORS]
    figure = Figure(figsize=(8, 4))
    axes = figure.add_subplot()
    positions = list(range(len(INDICATORS)))
    axes.bar([p - 0.2 for p in positions], now, 0.4, color=THIS)
    axes.bar([p + 0.2 for p in positions], before, 0.4, color=BEFORE)
    axes.set_xticks(positions, names, fontsize=9)
    axes.set_ylim(0, 120)
    axes.set_yticks(range(0, 101, 20))
    axes.set_ylabel("%")
    axes.set_title(labels("report.chart.indicators"))
    month, previous = report.trend[-1][0], report.trend[-2][0]
    axes.legend([labels.month(month), labels.month(previous)], loc="upper center", ncol=2)
    for spot, key in zip(positions, INDICATORS, strict=True):
        axes.annotate(labels.percent(report.indicators.ratio(key)), (spot - 0.2, now[spot]),
                      xytext=(0, 2), textcoords="offset points", ha="center", fontsize=8)
    return _save(figure, path)


def _trend(path: Path, labels: Labels) -> Path:
    report = labels.report
    months = [m for m, _ in report.trend]
    figure = Figure(figsize=(8, 4))
    axes = figure.add_subplot()
    for colour, key in zip(TREND_COLOURS, INDICATORS, strict=True):
        values = [ind.ratio(key).value for _, ind in report.trend]
        points = [(i, v * 100) for i, v in enumerate(values) if v is not None]
        if points:
            axes.plot([p[0] for p in points], [p[1] for p in points], marker="o", color=colour,
                      label=labels(f"report.indicator.{key}.short"))
    axes.set_xticks(range(len(months)), months)
    axes.set_ylim(0, 105)
    axes.set_ylabel("%")
    axes.set_title(labels("report.chart.trend"))
    if axes.get_legend_handles_labels()[0]:
        axes.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=5)
    return _save(figure, path)


def draw_charts(out_dir: Path, labels: Labels, family: str | None) -> dict[str, Path]:
    """categories.png, towns.png, indicators.png, trend.png in `out_dir`."""
    report = labels.report
    fonts = [family, "DejaVu Sans"] if family else ["DejaVu Sans"]
    legend = (labels.month(report.month), labels.month(report.trend[-2][0]))
    with matplotlib.rc_context({"font.family": "sans-serif", "font.sans-serif": fonts}):
        return {
            "categories": _compare(
                out_dir / "categories.png",
                labels("report.chart.categories"),
                report.by_category,
                report.previous_by_category,
                labels.category,
                legend,
            ),
            "towns": _compare(
                out_dir / "towns.png",
                labels("report.chart.towns"),
                report.by_town,
                report.previous_by_town,
                labels.place,
                legend,
            ),
            "indicators": _indicator_bars(out_dir / "indicators.png", labels),
            "trend": _trend(out_dir / "trend.png", labels),
        }
