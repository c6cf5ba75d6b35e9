"""Composition root: builds the process's parts from settings, in one place."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from backend.booking_common import BookingConfig
from backend.clock import Clock, Sleep, SystemClock
from backend.crypto import PersonalDataCipher, load_or_create_key
from backend.db import Database, open_database, upgrade_database
from backend.org_sync import load_organizations_if_empty
from backend.places import list_places
from backend.routing_rules import load_rules
from backend.services import CaseStore
from bot.engine import Dialogue
from bot.i18n import Texts
from bot.places import PlaceDirectory
from bot.spool import Spool
from bot.turn import DialogueConfig, DialogueServices
from jiefen.nlu_factory import create_nlu
from jiefen.settings import Settings
from nlu.types import NluBackend

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    db: Database
    store: CaseStore
    dialogue: Dialogue
    places: PlaceDirectory
    nlu: NluBackend
    spool: Spool | None = None  # messages kept while the database is away (servers only)
    sleep: Sleep = asyncio.sleep  # how background loops wait (a test's clock in tests)

    async def close(self) -> None:
        await self.db.dispose()


async def open_store(settings: Settings) -> Database:
    """Opens the database and brings it to the current schema (an empty one included)."""
    db = open_database(
        settings.resolved_database_url, secret_key=settings.secret_key, var_dir=settings.var_dir
    )
    await upgrade_database(db)
    return db


def _nlu_for(settings: Settings, places: PlaceDirectory, clock: Clock) -> NluBackend:
    def today() -> date:
        return clock.now().astimezone(ZoneInfo(settings.timezone)).date()

    return create_nlu(settings, places.gazetteer, today)


def open_spool(settings: Settings, folder: Path | None = None) -> Spool:
    """`folder`: settings.spool_dir unless this is one of several server processes, each of
    which keeps its own (jiefen.workers)."""
    key = load_or_create_key(settings.secret_key, settings.var_dir)
    return Spool(folder or settings.spool_dir, PersonalDataCipher(key))


async def prepare_database(settings: Settings) -> None:
    """What a server's start does to the database, done once on its own: the workers of
    `jiefen serve --workers` would otherwise all migrate, and load the network into an empty
    database, at the same moment. The routing rules are checked first (as build_app does)."""
    load_rules(settings.routing_path)
    db = await open_store(settings)
    try:
        async with db.sessions() as session, session.begin():
            if await load_organizations_if_empty(session, settings.organizations_path):
                log.info("loaded the organisation network from %s", settings.organizations_path)
    finally:
        await db.dispose()


async def build_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    nlu: NluBackend | None = None,
    sleep: Sleep | None = None,
    spooling: bool = False,
    spool_dir: Path | None = None,
) -> App:
    """`spooling`: keep messages on disk while the database is away; only for a process that
    also replays them (the server, see jiefen.server), in `spool_dir` (see open_spool)."""
    clock = clock or SystemClock()
    rules = load_rules(settings.routing_path)  # a broken file stops the start, every error named
    db = await open_store(settings)
    async with db.sessions() as session, session.begin():
        if await load_organizations_if_empty(session, settings.organizations_path):
            log.info("loaded the organisation network from %s", settings.organizations_path)
        places = PlaceDirectory(await list_places(session))
    nlu = nlu or _nlu_for(settings, places, clock)
    config = DialogueConfig(
        notice_version=settings.privacy_notice_version,
        description_max_chars=settings.description_max_chars,
        short_answer_max_chars=settings.short_answer_max_chars,
        timezone=settings.timezone,
    )
    services = DialogueServices(
        nlu, Texts(settings.locales_dir, settings.timezone), places, clock, config
    )
    booking = BookingConfig(settings.video_room_url, settings.timezone)
    store = CaseStore(db, clock, settings.default_locale, rules=rules, booking=booking)
    spool = open_spool(settings, spool_dir) if spooling else None
    dialogue = Dialogue(store, services, spool)
    return App(settings, db, store, dialogue, places, nlu, spool, sleep or asyncio.sleep)
