"""`jiefen worker`: the outbox worker alone, in its own process.

Delivers Telegram and WeChat pushes (those are the platforms any process can reach), so
several `jiefen serve --no-worker` processes can share one worker, or a worker can be
restarted on its own. Web-chat pushes are no worker's: the resident's page fetches them from
the outbox through any server. Claims are leases in the database, so two workers never
send the same push; a worker killed mid-send leaves its lease to expire, and the push goes
again (once) from whichever worker comes next. See docs/resilience.md.
"""

from __future__ import annotations

import logging

from backend.clock import Clock, SystemClock
from bot.delivery import OutboxWorker
from bot.i18n import Texts
from jiefen.channels import sending_channels
from jiefen.process import run_until_stopped
from jiefen.settings import Settings

log = logging.getLogger(__name__)


async def run_worker(settings: Settings, *, clock: Clock | None = None) -> None:
    """Delivers pushes until cancelled (Ctrl-C, SIGTERM)."""
    from jiefen.app import open_store

    db = await open_store(settings)
    channels = sending_channels(settings, db)
    started = []
    try:
        for channel in channels:
            await channel.start_sending()
            started.append(channel)
        names = [c.name for c in channels]
        worker = OutboxWorker(
            db,
            {c.name: c for c in channels},
            Texts(settings.locales_dir, settings.timezone),
            clock or SystemClock(),
            poll_seconds=settings.outbox_poll_seconds,
            claims=names,
        )
        if not names:
            log.warning("no platform is configured: there is nothing for this worker to send")
        log.info("outbox worker delivering %s pushes", ", ".join(names) or "no")
        await worker.run_forever()
    finally:
        for channel in started:
            await channel.stop()
        await db.dispose()


def main(settings: Settings, clock: Clock | None = None) -> None:
    """Runs the worker; SIGTERM and Ctrl-C stop it between rounds or mid-send (a push cut
    off mid-send goes again after its lease)."""
    run_until_stopped(run_worker(settings, clock=clock), "outbox worker")
