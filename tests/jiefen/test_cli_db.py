"""`jiefen db upgrade` and `jiefen db downgrade` on an empty database of each kind."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from backend.db import open_database
from jiefen.cli import main
from tests.conftest import TEST_KEY


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    return request.getfixturevalue("unmigrated_pg_url")


async def _revision(url: str, var_dir: Path) -> str:
    db = open_database(url, secret_key=TEST_KEY, var_dir=var_dir)
    try:
        async with db.sessions() as session:
            return str(await session.scalar(text("SELECT version_num FROM alembic_version")))
    finally:
        await db.dispose()


def test_an_operator_steps_the_schema_back_and_forward(
    empty_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIEFEN_DATABASE_URL", empty_url)
    monkeypatch.setenv("JIEFEN_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("JIEFEN_SECRET_KEY", TEST_KEY)
    runner = CliRunner()

    up = runner.invoke(main, ["db", "upgrade"])
    assert up.exit_code == 0 and "up to date" in up.output
    head = asyncio.run(_revision(empty_url, tmp_path))

    down = runner.invoke(main, ["db", "downgrade", "0006"])
    assert down.exit_code == 0 and "0006" in down.output
    assert asyncio.run(_revision(empty_url, tmp_path)) == "0006"

    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    assert asyncio.run(_revision(empty_url, tmp_path)) == head != "0006"
