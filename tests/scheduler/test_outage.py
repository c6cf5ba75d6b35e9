"""PostgreSQL goes away under a leading scheduler (a real outage: a TCP proxy between them is
cut): it stops leading and stands by, retrying, without a crash or a busy loop; when the
database is back it leads again and runs what fell due meanwhile, once."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from backend.db import open_database
from tests.conftest import START, TEST_KEY
from tests.scheduler.kinds_for_tests import rows
from tests.scheduler.support import ask, running, service
from tests.tcp_proxy import TcpProxy
from tests.waiting import until


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
async def test_an_outage_pauses_the_scheduler_and_what_fell_due_runs_once_after(
    database_url: str, tmp_path: Path, clock, caplog
) -> None:
    real = make_url(database_url)
    proxy = TcpProxy(real.host or "127.0.0.1", real.port or 5432)
    await proxy.start()
    through = real.set(host="127.0.0.1", port=proxy.port).render_as_string(False)
    db = open_database(through, secret_key=TEST_KEY, var_dir=tmp_path)
    direct = open_database(database_url, secret_key=TEST_KEY, var_dir=tmp_path)
    try:
        await ask(direct, "ping:outage", "outage", START + timedelta(hours=1), clock.now())
        svc = service(db, through, clock)
        with caplog.at_level(logging.WARNING):
            async with running(svc, clock):
                await proxy.cut()
                clock.advance(timedelta(hours=2))  # the job falls due while the database is away
                await until(lambda: not svc.leading and clock.sleeping, "standing by")
                for _ in range(3):  # still away: it keeps trying, never spins
                    clock.advance(timedelta(seconds=5))
                    await until(lambda: clock.sleeping, "the next try")
                assert await rows(direct, "outage") == 0
                await proxy.restore()
                clock.advance(timedelta(seconds=5))
                await until(
                    lambda: svc.leading and svc.loop and svc.loop.rounds and clock.sleeping,
                    "leading again",
                )
                assert await rows(direct, "outage") == 1
        assert "no longer the leader" in caplog.text
        assert "Traceback" not in caplog.text
    finally:
        await db.dispose()
        await direct.dispose()
        await proxy.close()
