"""What a code in the report reads as, in the report's language: categories, places,
organisations, statuses, yes/no, percentages and changes."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date

from backend.report_data import MonthReport
from backend.report_indicators import Ratio
from bot.i18n import BABEL_LOCALE, Translator

DATE_TIME = "%Y-%m-%d %H:%M"


class Labels:
    def __init__(self, t: Translator, report: MonthReport) -> None:
        self.t, self.report = t, report
        self.zone = ZoneInfo(report.zone)
        self._column = 1 if t.locale == "en" else 0

    def __call__(self, key: str, **params: object) -> str:
        return self.t(key, **params)

    def _family(self, prefix: str, code: str | None) -> str:
        if not code:
            return ""
        key = f"{prefix}{code}"
        return self.t(key) if self.t.has(key) else code

    def category(self, code: str) -> str:
        return self._family("category.", code)

    def place(self, code: str | None) -> str:
        if not code:
            return self.t("report.unknown_place")
        names = self.report.place_names.get(code)
        return names[self._column] if names else code

    def organization(self, code: str | None) -> str:
        names = self.report.org_names.get(code or "")
        return names[self._column] if names else (code or "")

    def tier(self, code: str | None) -> str:
        return self._family("route.tier.", code)

    def status(self, code: str) -> str:
        return self._family("report.status.", code)

    def outcome(self, code: str | None) -> str:
        return self._family("report.outcome.", code)

    def reported_by(self, code: str) -> str:
        return self._family("report.reported_by.", code)

    def channel(self, code: str) -> str:
        return self._family("report.channel.", code)

    def risk_level(self, code: str) -> str:
        return self._family("route.risk.", code)

    def risk_reasons(self, kinds: tuple[str, ...]) -> str:
        sep = "、" if self.t.locale == "zh" else ", "
        return sep.join(self._family("report.risk.", k) for k in kinds)

    def yes_no(self, value: bool | None) -> str:
        if value is None:
            return ""
        return self.t("report.yes") if value else self.t("report.no")

    def when(self, moment: datetime | None) -> str:
        return moment.astimezone(self.zone).strftime(DATE_TIME) if moment else ""

    def month(self, month: str) -> str:
        """"2026-11" as 2026年11月 / Nov 2026 (a babel date pattern from the catalogue)."""
        year, number = month.split("-")
        pattern = self.t("report.month_name")
        first = date(int(year), int(number), 1)
        return format_date(first, pattern, locale=BABEL_LOCALE[self.t.locale])

    @staticmethod
    def percent(ratio: Ratio) -> str:
        value = ratio.value
        return "—" if value is None else f"{value * 100:.1f}%"

    @staticmethod
    def change(now: int, before: int) -> str:
        if now == before:
            return "±0"
        text = f"{now - before:+d}"
        return f"{text} ({(now - before) / before:+.0%})" if before else text

    def point_change(self, now: Ratio, before: Ratio) -> str:
        """The change of a rate in percentage points ("+4.2 个百分点"); "—" without both."""
        if now.value is None or before.value is None:
            return "—"
        return self.t("report.points", value=f"{(now.value - before.value) * 100:+.1f}")
