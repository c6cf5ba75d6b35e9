"""Every server runs a scheduler; with two servers on one database one leads and the other
stands by, as /healthz shows; when the leader stops, the other takes the lead."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import httpx

from jiefen.app import build_app
from jiefen.server import create_web_app
from tests.servers import serving
from tests.waiting import until


async def _role(http: httpx.AsyncClient, base: str) -> str:
    return (await http.get(f"{base}/healthz")).json()["scheduler"]


async def test_two_servers_one_leads_the_other_stands_by_and_takes_over(
    app, settings, clock, shared_nlu
) -> None:
    first = create_web_app(app, [], run_worker=False)
    other = await build_app(settings, clock=clock, nlu=shared_nlu, sleep=clock.sleep)
    second = create_web_app(other, [], run_worker=False)
    quiet = create_web_app(other, [], run_worker=False, run_scheduler=False)
    async with httpx.AsyncClient(timeout=10) as http, contextlib.AsyncExitStack() as stack:
        leading = contextlib.AsyncExitStack()
        a = await leading.enter_async_context(serving(first))
        await until(lambda: first.state.scheduler.leading, "the first server to lead")
        b = await stack.enter_async_context(serving(second))
        await until(lambda: clock.sleeping, "the second server to stand by")
        assert (await _role(http, a), await _role(http, b)) == ("leader", "standby")
        await leading.aclose()  # the first server stops
        clock.advance(timedelta(seconds=5))  # the second tries again, and leads
        await until(lambda: second.state.scheduler.leading, "the takeover")
        assert await _role(http, b) == "leader"
    async with httpx.AsyncClient(timeout=10) as http, serving(quiet) as c:
        assert await _role(http, c) == "off"
