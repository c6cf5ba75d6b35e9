"""User-facing text from gettext catalogues (config/locales/<lang>/LC_MESSAGES/jiefen.po).

Message ids are stable keys (``intake.ask_place``); Chinese is the first language and the
fallback for anything an English catalogue lacks.
"""

from __future__ import annotations

import io
import logging
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

log = logging.getLogger(__name__)
LOCALES = ("zh", "en")
BABEL_LOCALE = {"zh": "zh_Hans_CN", "en": "en"}
DOMAIN = "jiefen"


def _load_catalogue(locales_dir: Path, locale: str) -> Translations:
    """jiefen.po plus any other .po beside it (one per channel), merged; a key defined twice
    is an error, so two files cannot silently disagree."""
    folder = locales_dir / locale / "LC_MESSAGES"
    paths = sorted(folder.glob("*.po"), key=lambda p: (p.stem != DOMAIN, p.name))
    catalogue = None
    for po_path in paths:
        with po_path.open("rb") as handle:
            part = read_po(handle, locale=BABEL_LOCALE[locale], domain=DOMAIN)
        if catalogue is None:
            catalogue = part
            continue
        for message in part:
            if message.id and message.id in catalogue:
                raise ValueError(f"{po_path}: message {message.id!r} is already defined")
            if message.id:
                catalogue[message.id] = message
    if catalogue is None:
        raise FileNotFoundError(f"no message catalogue in {folder}")
    buffer = io.BytesIO()
    write_mo(buffer, catalogue)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


class Texts:
    """All catalogues, loaded once per process."""

    def __init__(self, locales_dir: Path, timezone: str = "Asia/Shanghai") -> None:
        self._catalogues = {loc: _load_catalogue(locales_dir, loc) for loc in LOCALES}
        self.zone = ZoneInfo(timezone)

    def for_locale(self, locale: str) -> Translator:
        return Translator(self, locale if locale in self._catalogues else LOCALES[0])

    def lookup(self, locale: str, key: str) -> str:
        text = self._catalogues[locale].gettext(key)
        if text == key and locale != LOCALES[0]:
            text = self._catalogues[LOCALES[0]].gettext(key)
        if text == key:
            log.warning("missing message %s", key)
        return text

    def keys(self, locale: str) -> set[str]:
        return {k for k in self._catalogues[locale]._catalog if isinstance(k, str) and k}


class Translator:
    def __init__(self, texts: Texts, locale: str) -> None:
        self.texts, self.locale = texts, locale

    def __call__(self, key: str, **params: object) -> str:
        text = self.texts.lookup(self.locale, key)
        return text.format(**params) if params else text

    def has(self, key: str) -> bool:
        return key in self.texts.keys(self.locale) or key in self.texts.keys(LOCALES[0])

    def when(self, moment: datetime) -> str:
        """A date and time in the county's zone, written the local way."""
        pattern = self("format.datetime")
        local = moment.astimezone(self.texts.zone)
        return format_datetime(local, pattern, locale=BABEL_LOCALE[self.locale])
