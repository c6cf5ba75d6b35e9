"""The month's case ledger as CSV (UTF-8 with a byte-order mark, so Excel reads the Chinese)
and XLSX: one row per case, facts and dates only. Names, phone and ID numbers, descriptions
and outcome texts are not in the backend's rows at all (backend/report_data.py)."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from backend.report_data import LedgerRow
from jiefen.report.labels import Labels

COLUMNS = (
    "number",
    "created_at",
    "accepted_at",
    "finished_at",
    "category",
    "town",
    "village",
    "organization",
    "tier",
    "status",
    "outcome",
    "reported_by",
    "channel",
    "risk_level",
    "accepted_within_48h",
    "finished_within_30d",
    "satisfaction",
)


def header(labels: Labels) -> list[str]:
    return [labels(f"report.ledger.{column}") for column in COLUMNS]


def cells(labels: Labels, row: LedgerRow) -> list[str | int]:
    return [
        row.number,
        labels.when(row.created_at),
        labels.when(row.accepted_at),
        labels.when(row.finished_at),
        labels.category(row.category),
        labels.place(row.town_code),
        labels.place(row.village_code) if row.village_code else "",
        labels.organization(row.organization_code),
        labels.tier(row.tier),
        labels.status(row.status),
        labels.outcome(row.outcome),
        labels.reported_by(row.reported_by),
        labels.channel(row.channel),
        labels.risk_level(row.risk_level),
        labels.yes_no(row.accepted_within_48h),
        labels.yes_no(row.finished_within_30d),
        row.satisfaction if row.satisfaction is not None else "",
    ]


def write_csv(path: Path, labels: Labels) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header(labels))
        writer.writerows(cells(labels, row) for row in labels.report.ledger)
    return path


def write_xlsx(path: Path, labels: Labels) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = labels.report.month
    sheet.append(header(labels))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in labels.report.ledger:
        sheet.append(cells(labels, row))
    sheet.freeze_panes = "B2"
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = 18 if "_at" in column else 14
    book.save(path)
    return path
