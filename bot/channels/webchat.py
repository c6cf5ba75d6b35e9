"""Web chat: a page residents open in any phone browser, and the small JSON API behind it.

Identity: a random id in a signed (itsdangerous), HttpOnly, SameSite=Lax cookie, Secure over
https. There are no accounts: the cookie *is* the resident on this channel, so a missing or
tampered cookie quietly starts a new session (never an error) and a cleared cookie means a new
conversation; cases already reported stay with the old id.

Pushes: the page polls /api/updates, which takes the session's due pushes from the outbox
(`fetch_pushes`, bot.delivery.PushFetcher) and marks them sent as it hands them over. Until the
page asks they wait in the database, so they survive a restart and any server process can
answer the page (`jiefen serve --workers N`); the outbox worker leaves them alone.

Guards: JSON endpoints demand Content-Type application/json and uploads an X-Jiefen header,
which a cross-site form cannot send without a CORS preflight we never grant (CSRF); bodies are
capped; each session has a token bucket. Every word the resident reads comes from the
catalogues (webchat.po); the dialogue itself is the engine's business, not this module's.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from backend.delivery import Undeliverable
from bot.channels.base import Handler
from bot.channels.files import MAX_BYTES, EvidenceStore, UnsupportedFile
from bot.channels.ratelimit import RateLimiter
from bot.i18n import LOCALES, Texts
from bot.messages import IncomingMessage, OutgoingMessage

WEB_DIR = Path(__file__).parent / "web"
DEFAULT_LOCALES_DIR = Path(__file__).resolve().parents[2] / "config" / "locales"
COOKIE = "jiefen_web"
SESSION_SALT = "jiefen.webchat.session"
COOKIE_MAX_AGE = 180 * 24 * 3600  # a dispute can take months; the id is all that links them
JSON_LIMIT = 1024 * 1024
UPLOAD_LIMIT = MAX_BYTES + 256 * 1024  # the file plus multipart framing
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
PLACEHOLDER = re.compile(r"\{\{\s*([a-z_.]+)\s*\}\}")
STATIC_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
}
API_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
log = logging.getLogger(__name__)
# A session id -> its pushes, taken from the outbox (bot.delivery.PushFetcher).
FetchPushes = Callable[[str], Awaitable[list[OutgoingMessage]]]


class _TooBig(Exception):
    """The request body passed its cap while being read."""


def _capped(request: Request, limit: int) -> Request:
    """The same request, whose body raises _TooBig once more than `limit` bytes arrive, so an
    oversized body is refused without being held in memory."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _TooBig
    seen = 0
    receive = request.receive

    async def counting() -> MutableMapping[str, Any]:
        nonlocal seen
        event = await receive()
        seen += len(event.get("body", b""))
        if seen > limit:
            raise _TooBig
        return event

    return Request(request.scope, counting)


def _locale(request: Request) -> str:
    """The page's language: Chinese unless ?lang= asks otherwise. Not Accept-Language: the
    dialogue answers in Chinese until the resident switches, and a page half in English
    (a phone set up in English by a relative) would only confuse."""
    asked = request.query_params.get("lang", "")
    return asked if asked in LOCALES else LOCALES[0]


def _valid_id(value: object) -> bool:
    return value is None or (isinstance(value, str) and bool(CLIENT_ID.fullmatch(value)))


def _render(message: OutgoingMessage) -> dict[str, Any]:
    return {
        "text": message.text,
        "options": [{"label": o.label, "payload": o.payload} for o in message.options],
    }


class WebChatChannel:
    name = "webchat"
    numbered_options = False
    pull_pushes = True

    def __init__(
        self,
        handle: Handler,
        *,
        fetch_pushes: FetchPushes,
        secret_key: str,
        evidence: EvidenceStore,
        texts: Texts | None = None,
        limiter: RateLimiter | None = None,
        poll_seconds: int = 20,
    ) -> None:
        if not secret_key:
            raise ValueError("the web chat needs a secret key to sign its session cookies")
        self.handle, self.fetch_pushes, self.evidence = handle, fetch_pushes, evidence
        # Without texts (older wiring) the project's own catalogues are read.
        self.texts = texts or Texts(DEFAULT_LOCALES_DIR)
        self.limiter = limiter or RateLimiter()
        self.poll_seconds = poll_seconds
        self._signer = URLSafeSerializer(secret_key, salt=SESSION_SALT)
        self._pages: dict[str, str] = {}
        self._static = {
            p.name: p for p in WEB_DIR.iterdir() if p.is_file() and p.suffix in STATIC_TYPES
        }
        digest = hashlib.sha256()
        for name in sorted(self._static):
            digest.update(self._static[name].read_bytes())
        self._version = digest.hexdigest()[:12]  # busts phone caches when the files change

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/", self.page, methods=["GET"]),
            Route("/static/{path:path}", self.static, methods=["GET"]),
            Route("/api/message", self.message, methods=["POST"]),
            Route("/api/upload", self.upload, methods=["POST"]),
            Route("/api/updates", self.updates, methods=["GET"]),
        ]

    async def start(self) -> None:
        return None

    async def start_sending(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, recipient: str, message: OutgoingMessage) -> None:
        """Never called: the page fetches its pushes (pull_pushes); a worker that was told to
        claim them anyway records why they cannot go this way."""
        raise Undeliverable("web-chat pushes are fetched by the page from the outbox")

    # -- session ---------------------------------------------------------------------------

    def _session(self, request: Request) -> tuple[str, bool]:
        """The session id and whether it is new (a missing or tampered cookie)."""
        raw = request.cookies.get(COOKIE)
        if raw:
            try:
                value = self._signer.loads(raw)
            except BadSignature:
                value = None
            if isinstance(value, str) and SESSION_ID.fullmatch(value):
                return value, False
        return secrets.token_urlsafe(24), True

    def _set_cookie(self, response: Response, request: Request, session: str) -> None:
        response.set_cookie(
            COOKIE,
            self._signer.dumps(session),
            max_age=COOKIE_MAX_AGE,
            path="/",
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )

    def _json(
        self, request: Request, session: tuple[str, bool], body: dict[str, Any], status: int = 200
    ) -> JSONResponse:
        response = JSONResponse(body, status_code=status, headers=API_HEADERS)
        if session[1]:
            self._set_cookie(response, request, session[0])
        return response

    def _error(
        self,
        request: Request,
        session: tuple[str, bool],
        status: int,
        key: str,
        **params: object,
    ) -> JSONResponse:
        """A refusal the page shows as a chat bubble, in the resident's words."""
        text = self.texts.for_locale(_locale(request))(key, **params)
        return self._json(request, session, {"error": text, **params}, status)

    def _throttled(self, request: Request, session: tuple[str, bool]) -> JSONResponse | None:
        if self.limiter.allow(session[0]):
            return None
        seconds = max(1, self.limiter.retry_after(session[0]))
        response = self._error(request, session, 429, "webchat.error.slow_down", seconds=seconds)
        response.headers["Retry-After"] = str(seconds)
        return response

    # -- endpoints -------------------------------------------------------------------------

    async def page(self, request: Request) -> Response:
        session = self._session(request)
        response = HTMLResponse(
            self._page(_locale(request)), headers={**SECURITY_HEADERS, "Cache-Control": "no-store"}
        )
        self._set_cookie(response, request, session[0])  # also renews the cookie's lifetime
        return response

    async def static(self, request: Request) -> Response:
        path = self._static.get(request.path_params["path"])
        if path is None:
            return Response("not found", status_code=404, media_type="text/plain")
        return FileResponse(
            path,
            media_type=STATIC_TYPES[path.suffix] + "; charset=utf-8",
            headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
        )

    async def message(self, request: Request) -> Response:
        session = self._session(request)
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != (
            "application/json"
        ):
            return self._error(request, session, 415, "webchat.error.content_type")
        if limited := self._throttled(request, session):
            return limited
        try:
            data = json.loads(await _capped(request, JSON_LIMIT).body())
        except _TooBig:
            return self._error(request, session, 413, "webchat.error.too_long")
        except ValueError:  # malformed JSON or not UTF-8
            return self._error(request, session, 400, "webchat.error.bad_request")
        if not isinstance(data, dict):
            return self._error(request, session, 400, "webchat.error.bad_request")
        text, payload, client_id = data.get("text", ""), data.get("payload"), data.get("id")
        if (
            not isinstance(text, str)
            or not (payload is None or isinstance(payload, str))
            or not _valid_id(client_id)
        ):
            return self._error(request, session, 400, "webchat.error.bad_request")
        if not text.strip() and not payload:
            return self._error(request, session, 400, "webchat.error.empty")
        incoming = IncomingMessage(
            self.name,
            session[0],
            text=text,
            payload=payload,
            message_id=self._id(session, client_id),
        )
        return await self._reply(request, session, incoming)

    async def upload(self, request: Request) -> Response:
        session = self._session(request)
        if request.headers.get("x-jiefen") != "1":
            return self._error(request, session, 403, "webchat.error.reload")
        if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
            return self._error(request, session, 415, "webchat.error.content_type")
        if limited := self._throttled(request, session):
            return limited
        try:
            form = await _capped(request, UPLOAD_LIMIT).form(max_files=1, max_fields=4)
        except _TooBig:
            return self._error(
                request, session, 413, "webchat.upload.too_big", limit_mb=MAX_BYTES // 2**20
            )
        except (HTTPException, MultiPartException):
            return self._error(request, session, 400, "webchat.error.bad_request")
        try:
            file, client_id = form.get("file"), form.get("id")
            if not isinstance(file, UploadFile):
                return self._error(request, session, 400, "webchat.upload.no_file")
            if not _valid_id(client_id):
                return self._error(request, session, 400, "webchat.error.bad_request")
            data = await file.read()
            name = Path(file.filename or "").name[:200] or None
        finally:
            await form.close()
        try:
            # Re-encoding a photo is CPU work: keep it off the event loop.
            attachment = await run_in_threadpool(self.evidence.store, data, name=name)
        except UnsupportedFile as exc:
            status = 413 if exc.reason == "too_big" else 415
            return self._error(
                request,
                session,
                status,
                f"webchat.upload.{exc.reason}",
                limit_mb=MAX_BYTES // 2**20,
            )
        incoming = IncomingMessage(
            self.name,
            session[0],
            attachments=(attachment,),
            message_id=self._id(session, client_id),
        )
        return await self._reply(request, session, incoming)

    async def updates(self, request: Request) -> Response:
        session = self._session(request)
        try:
            pushes = [] if session[1] else await self.fetch_pushes(session[0])
        except Exception:  # the database away: they wait there for the next poll
            log.warning("web chat: pushes could not be fetched now", exc_info=True)
            pushes = []
        return self._json(request, session, {"replies": [_render(m) for m in pushes]})

    # -- helpers ---------------------------------------------------------------------------

    def _id(self, session: tuple[str, bool], client_id: str | None) -> str | None:
        """The engine's dedup key: a resend of the same client id is answered once."""
        return f"web:{session[0]}:{client_id}" if client_id else None

    async def _reply(
        self, request: Request, session: tuple[str, bool], incoming: IncomingMessage
    ) -> Response:
        replies = await self.handle(incoming)
        return self._json(request, session, {"replies": [_render(r) for r in replies]})

    def _page(self, locale: str) -> str:
        """index.html with {{webchat.*}} filled from the catalogue, rendered once per locale."""
        if locale not in self._pages:
            t = self.texts.for_locale(locale)
            strings = {
                k: t(k) for k in sorted(self.texts.keys(LOCALES[0])) if k.startswith("webchat.")
            }
            values = {
                "lang": "zh-CN" if locale == "zh" else locale,
                "version": self._version,
                "poll_seconds": str(self.poll_seconds),
                # JSON inside <script type="application/json">: only "<" could end it early.
                "texts_json": json.dumps(strings, ensure_ascii=False).replace("<", "\\u003c"),
            }

            def fill(match: re.Match[str]) -> str:
                key = match.group(1)
                if key in values:
                    return values[key]
                if not key.startswith("webchat."):
                    raise KeyError(f"index.html names {key!r}, which is not a page string")
                return html.escape(t(key))

            template = (WEB_DIR / "index.html").read_text(encoding="utf-8")
            self._pages[locale] = PLACEHOLDER.sub(fill, template)
        return self._pages[locale]
