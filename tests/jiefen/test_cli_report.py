"""`jiefen report` against a real database: every file is written, the ledger opens in
openpyxl with one row per case, no phone number or name gets into any file, and a survey
answer changes the satisfaction rate in the written report."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from jiefen.cli import main
from jiefen.settings import Settings
from tests.report_setup import ACCOUNT, OTHER_PARTY, PHONE, answer_survey, build_history, local

FILES = {
    "report.md",
    "report.html",
    "categories.png",
    "towns.png",
    "indicators.png",
    "trend.png",
    "ledger-2026-11.csv",
    "ledger-2026-11.xlsx",
}
PRIVATE = (PHONE, "138****5678", OTHER_PARTY, "李四", "18号", ACCOUNT[:8])


@pytest.fixture
def env(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for key, value in {
        "JIEFEN_DATABASE_URL": settings.database_url,
        "JIEFEN_VAR_DIR": str(settings.var_dir),
        "JIEFEN_SECRET_KEY": settings.secret_key,
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    return settings


async def _report(out: Path, *extra: str) -> Result:
    """The command in its own thread (it runs its own event loop), as of 1 December 08:00."""
    args = ["report", "--month", "2026-11", "--out", str(out), "--as-of", "2026-12-01T08:00"]
    return await asyncio.to_thread(CliRunner().invoke, main, [*args, *extra])


def _xlsx_rows(path: Path) -> list[tuple]:
    book = load_workbook(path, read_only=True)
    return list(book.active.iter_rows(values_only=True))


async def test_the_report_writes_every_file_with_the_months_figures(app, env, tmp_path) -> None:
    h = await build_history(app)
    out = tmp_path / "out"
    result = await _report(out)
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == FILES
    assert {Path(line).name for line in result.output.split()} == FILES
    md = (out / "report.md").read_text(encoding="utf-8")
    for text in ("## 本月案件按类别", "## 热点村预警", "陈家村", "| 邻里纠纷 | 5 | 4 | +1 (+25%) |",
                 "| 48小时内响应率 | 87.5% | 7/8 |", "| 30天内办结率 | 83.3% | 5/6 |",
                 "| 调解成功率 | 60.0% | 3/5 |", "| 满意率 | 100.0% | 1/1 |",
                 "| 本人申请占比 | 83.3% | 5/6 |", h.numbers["e"], "扬言暴力",
                 "不少于 3 件", "![本月案件按类别（与上月比较）](categories.png)"):
        assert text in md, text
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count('src="data:image/png;base64,') == 4 and "<h2>考核指标</h2>" in html
    for png in ("categories", "towns", "indicators", "trend"):
        assert (out / f"{png}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


async def test_the_ledger_has_one_row_per_case_and_no_personal_data(app, env, tmp_path) -> None:
    h = await build_history(app)
    out = tmp_path / "out"
    assert (await _report(out)).exit_code == 0
    header, *rows = _xlsx_rows(out / "ledger-2026-11.xlsx")
    assert header[:5] == ("案件编号", "登记时间", "受理时间", "结果时间", "类别")
    by_number = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert set(by_number) == {h.numbers[k] for k in "abcdef"}
    a = by_number[h.numbers["a"]]
    assert (a["登记时间"], a["受理时间"], a["结果时间"]) == (
        "2026-11-02 10:00", "2026-11-03 10:00", "2026-11-10 10:00"
    )
    facts = ("村（社区）", "登记方式", "48小时内受理", "30天内办结", "满意度评分")
    assert tuple(a[k] for k in facts) == ("陈家村", "本人申请", "是", "是", 5)
    assert by_number[h.numbers["c"]]["登记方式"] == "线下登记"
    with (out / "ledger-2026-11.csv").open(encoding="utf-8-sig", newline="") as handle:
        in_csv = [tuple(r) for r in csv.reader(handle)]
    assert in_csv[0] == header and len(in_csv) == 7
    texts = [
        (out / n).read_text(encoding="utf-8-sig")
        for n in FILES
        if n.endswith(("md", "html", "csv"))
    ]
    texts.append(repr(_xlsx_rows(out / "ledger-2026-11.xlsx")))
    for text in texts:
        for private in PRIVATE:
            assert private not in text, private


async def test_a_survey_answer_changes_the_satisfaction_rate_in_the_report(
    app, env, tmp_path
) -> None:
    h = await build_history(app)
    assert (await _report(tmp_path / "before")).exit_code == 0
    await answer_survey(app, "e", h.numbers["e"], "2", local(11, 16))
    assert (await _report(tmp_path / "after")).exit_code == 0
    before = (tmp_path / "before" / "report.md").read_text(encoding="utf-8")
    after = (tmp_path / "after" / "report.md").read_text(encoding="utf-8")
    assert "| 满意率 | 100.0% | 1/1 |" in before
    assert "| 满意率 | 50.0% | 1/2 |" in after


async def test_the_report_in_english(app, env, tmp_path) -> None:
    await build_history(app)
    result = await _report(tmp_path / "en", "--lang", "en")
    assert result.exit_code == 0, result.output
    md = (tmp_path / "en" / "report.md").read_text(encoding="utf-8")
    assert "## Cases this month by category" in md and "Chenjia Village" in md
    assert "| Mediation success rate | 60.0% | 3/5 |" in md


def test_a_month_that_is_not_a_month_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["report", "--month", "2026-13", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "YYYY-MM" in result.output
