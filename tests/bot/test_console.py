"""The newcomer's path: a scripted `jiefen chat` in a real process, then `jiefen cases`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from jiefen.settings import PROJECT_ROOT

SCRIPT = [
    "隔壁邻居天天半夜装修电钻响，吵得一家老小都睡不着",
    "1",  # agree to the privacy notice
    "1",  # yes, a neighbour dispute
    "枫桥镇陈家村",
    "邻居王某",
    "2",  # in the last few days
    "4",  # stop the harm
    "1",  # no evidence
    "13812345678",
    "1",  # submit
]


def _jiefen(args: list[str], env: dict[str, str], stdin: str = "") -> str:
    done = subprocess.run(
        [sys.executable, "-m", "jiefen.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    return done.stdout


def test_scripted_chat_then_cases_show(tmp_path: Path, nlu_cache_dir: Path, shared_nlu) -> None:
    env = {
        **os.environ,
        "JIEFEN_VAR_DIR": str(tmp_path / "var"),
        "JIEFEN_NLU_CACHE": str(nlu_cache_dir),
        "JIEFEN_DATABASE_URL": "",
    }
    transcript = _jiefen(["chat", "--user", "demo"], env, "\n".join(SCRIPT) + "\n")
    (tmp_path / "transcript.txt").write_text(transcript, encoding="utf-8")
    assert transcript.count("> ") >= len(SCRIPT)
    assert "隐私说明" in transcript and "  [1] 同意" in transcript
    assert "案件编号" in transcript, transcript
    cases = json.loads(_jiefen(["cases", "list", "--json"], env))
    assert len(cases) == 1 and cases[0]["category"] == "neighbour"
    detail = json.loads(_jiefen(["cases", "show", cases[0]["number"], "--json"], env))
    assert detail["village"] == "fengqiao.chenjia"
    assert detail["contact_phone"] == "138****5678"  # masked unless --reveal
    assert detail["parties"][1]["name"] == "邻居王某"
    revealed = json.loads(_jiefen(["cases", "show", cases[0]["number"], "--json", "--reveal"], env))
    assert revealed["contact_phone"] == "13812345678"
    again = json.loads(_jiefen(["cases", "show", cases[0]["number"], "--json"], env))
    assert again["events"][-1]["kind"] == "personal_data_viewed"


def test_orgs_load_reports_errors_with_line_numbers(tmp_path: Path) -> None:
    broken = tmp_path / "orgs.yaml"
    broken.write_text(
        "version: 1\ncounty: {code: x, name: X, name_en: X, timezone: Asia/Shanghai}\n"
        "towns: []\norganizations: []\nmediators:\n  - {code: m1, name: 甲}\n",
        encoding="utf-8",
    )
    env = {**os.environ, "JIEFEN_VAR_DIR": str(tmp_path / "var"), "JIEFEN_DATABASE_URL": ""}
    done = subprocess.run(
        [sys.executable, "-m", "jiefen.cli", "orgs", "load", str(broken)],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert done.returncode == 1
    assert "orgs.yaml:6" in done.stderr


def test_orgs_load_is_idempotent(tmp_path: Path) -> None:
    env = {**os.environ, "JIEFEN_VAR_DIR": str(tmp_path / "var"), "JIEFEN_DATABASE_URL": ""}
    network = str(PROJECT_ROOT / "config" / "organizations.yaml")
    first = _jiefen(["orgs", "load", network], env)
    second = _jiefen(["orgs", "load", network], env)
    assert first == second and "deactivated: 0" in second
