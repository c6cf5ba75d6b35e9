"""WeChat Official Account channel: the message webhook and customer-service pushes.

WeChat waits 5 seconds for the answer to a message and then sends the same message again
(three times in all, same MsgId). So each message is handled with a deadline: answered in the
reply body when done in time; otherwise WeChat gets "success" (no retry) and the replies go
out through the customer-service API when ready. A copy of a message still being handled joins
it instead of being handled again; the dialogue's claim on the message id covers the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import check_signature

from backend.delivery import RetryLater, Undeliverable
from bot.channels.base import Handler, SendLater, log_lost_replies
from bot.channels.files import MAX_BYTES, EvidenceStore, UnsupportedFile
from bot.channels.ratelimit import RateLimiter
from bot.channels.wechat_render import (
    BadXml,
    custom_text,
    dedup_key,
    parse_xml,
    render_all,
    template_message,
    text_reply_xml,
)
from bot.i18n import Texts
from bot.messages import IncomingMessage, OutgoingMessage

log = logging.getLogger(__name__)

CHANNEL = "wechat"
MAX_BODY = 1024 * 1024
MAX_CLOCK_SKEW = 300  # seconds; older (or future) signed requests are refused as replays
REMEMBER_LATE = 1000  # message keys answered through the customer-service API
TOKEN_REFUSED = {40001, 40014, 42001}  # invalid / expired access token
BUSY = {-1: 5.0, 45009: 3600.0, 45047: 600.0}  # errcode -> seconds to wait
GONE = {40003, 43004}  # not our follower's openid / unsubscribed
OUTSIDE_WINDOW = 45015  # the resident has not written for 48 hours
TEMPLATE_FIELD = "content"  # the {{content.DATA}} slot of the configured template
DEFAULT_LOCALES = Path(__file__).resolve().parents[2] / "config" / "locales"


class TokenStore(Protocol):
    async def get(self, key: str, refresh: Any) -> str: ...
    async def invalidate(self, key: str, value: str) -> None: ...


class WeChatApiError(Exception):
    def __init__(self, errcode: int, errmsg: str = "") -> None:
        super().__init__(f"WeChat errcode {errcode}: {errmsg}")
        self.errcode = errcode


@dataclass
class _Pending:
    """One message being handled; copies of it wait on the same task."""

    task: asyncio.Task[list[OutgoingMessage]]
    to_user: str
    late: bool = False  # someone was told "success": the replies go by customer service
    sent: bool = False


class WeChatChannel:
    name = CHANNEL
    numbered_options = True
    pull_pushes = False

    def __init__(
        self,
        handle: Handler,
        *,
        token: str,
        app_id: str,
        app_secret: str,
        aes_key: str,
        api_base: str,
        token_store: TokenStore,
        evidence: EvidenceStore,
        template_id: str = "",
        texts: Texts | None = None,
        locale: str = "zh",
        reply_deadline: float = 4.0,
        now: Callable[[], float] = time.time,
        limiter: RateLimiter | None = None,
        send_later: SendLater = log_lost_replies,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.handle, self.token, self.app_id, self.app_secret = handle, token, app_id, app_secret
        self.send_later, self.sleep = send_later, sleep
        self.api_base, self.token_store, self.evidence = api_base.rstrip("/"), token_store, evidence
        self.template_id, self.reply_deadline, self.now = template_id, reply_deadline, now
        self.crypto = WeChatCrypto(token, aes_key, app_id) if aes_key else None
        self.t = (texts or Texts(DEFAULT_LOCALES)).for_locale(locale)
        self.limiter = limiter or RateLimiter()
        self._http = httpx.AsyncClient(timeout=10.0)
        self._pending: dict[str, _Pending] = {}
        self._late: OrderedDict[str, None] = OrderedDict()
        self._background: set[asyncio.Task[None]] = set()
        self._force_refresh = False

    def routes(self) -> list[BaseRoute]:
        return [Route("/wechat", self._endpoint, methods=["GET", "POST"])]

    async def start(self) -> None:
        return None

    async def start_sending(self) -> None:
        return None

    async def stop(self) -> None:
        """Lets messages still being handled, and their late replies, finish first."""
        for _ in range(2):  # handling done, then the customer-service sends it started
            busy = {p.task for p in self._pending.values()} | self._background
            if busy:
                await asyncio.wait(busy, timeout=15)
        await self._http.aclose()

    # --- the webhook ------------------------------------------------------------------

    async def _endpoint(self, request: Request) -> Response:
        query = request.query_params
        timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        try:
            check_signature(self.token, query.get("signature", ""), timestamp, nonce)
        except InvalidSignatureException:
            return PlainTextResponse("bad signature", status_code=403)
        if request.method == "GET":  # WeChat checks the URL when it is configured
            return PlainTextResponse(query.get("echostr", ""))
        if not timestamp.isdigit() or abs(self.now() - int(timestamp)) > MAX_CLOCK_SKEW:
            return PlainTextResponse("stale request", status_code=403)
        body = await _read_capped(request)
        if body is None:
            return PlainTextResponse("too large", status_code=413)
        try:
            fields = parse_xml(body)
            if self.crypto is not None:
                encrypted = fields.get("Encrypt", "")
                if not encrypted:
                    raise BadXml("plain message while safe mode is on")
                fields = parse_xml(
                    self.crypto.decrypt_message(
                        {"Encrypt": encrypted}, query.get("msg_signature", ""), timestamp, nonce
                    )
                )
        except InvalidSignatureException:
            return PlainTextResponse("bad signature", status_code=403)
        except Exception as exc:  # malformed XML, bad base64/padding, another app's message
            log.warning("unreadable WeChat message: %s", exc)
            return PlainTextResponse("bad message", status_code=400)
        if not all(fields.get(k) for k in ("FromUserName", "ToUserName", "MsgType")):
            return PlainTextResponse("bad message", status_code=400)
        replies = await self._answer(fields)
        if not replies:
            return PlainTextResponse("success")
        content = "\n\n".join(render_all(replies, self.t("wechat.choose_by_number")))
        xml = text_reply_xml(fields["FromUserName"], fields["ToUserName"], content, int(self.now()))
        if self.crypto is not None:
            xml = self.crypto.encrypt_message(xml, nonce, str(int(self.now())))
        return Response(xml, media_type="application/xml")

    async def _answer(self, fields: dict[str, str]) -> list[OutgoingMessage]:
        """The replies to give in the response body; [] means "success" (none, or later)."""
        dedup = dedup_key(fields)
        key = dedup or f"local:{uuid.uuid4().hex}"  # no id to recognise a copy by
        if key in self._late:  # answered through customer service already
            return []
        pending = self._pending.get(key)
        if pending is None:
            task = asyncio.create_task(self._process(fields, dedup))
            pending = self._pending[key] = _Pending(task, fields["FromUserName"])
            task.add_done_callback(lambda _: self._finished(key, pending))
        try:
            replies = await asyncio.wait_for(asyncio.shield(pending.task), self.reply_deadline)
        except TimeoutError:
            pending.late = True
            if pending.task.done():
                self._finished(key, pending)
            return []
        return [] if pending.late else replies

    def _finished(self, key: str, pending: _Pending) -> None:
        self._pending.pop(key, None)
        if not pending.late or pending.sent:
            return
        pending.sent = True
        self._late[key] = None
        while len(self._late) > REMEMBER_LATE:
            self._late.popitem(last=False)
        task = asyncio.create_task(self._deliver_late(pending))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _deliver_late(self, pending: _Pending) -> None:
        if pending.task.cancelled():  # the server stopped mid-message; WeChat will not retry
            return
        try:
            replies = pending.task.result()
        except Exception:
            log.exception("a WeChat message failed after its reply window")
            return
        header = self.t("wechat.choose_by_number")
        for index, text in enumerate(render_all(replies, header)):
            if not await self._try_late(pending.to_user, text):
                await self.send_later(CHANNEL, pending.to_user, replies[index:])
                return

    async def _try_late(self, openid: str, text: str) -> bool:
        """True when done with: sent, or refused for good (the follower left, say). False when
        WeChat stayed busy or away: the outbox takes over from there."""
        for attempt in range(1, 4):
            try:
                await self._custom_send(openid, text)
                return True
            except Undeliverable as exc:
                log.error("late reply to a WeChat user refused: %s", exc)
                return True
            except RetryLater as exc:
                log.warning("late WeChat reply deferred (try %s): %s", attempt, exc)
                await self.sleep(min(exc.seconds, 5.0) * attempt)
            except Exception:
                log.exception("late reply to a WeChat user could not be sent now")
                return False
        log.warning("late reply to a WeChat user handed to the outbox: WeChat stayed busy")
        return False

    async def _process(self, fields: dict[str, str], key: str | None) -> list[OutgoingMessage]:
        """Turns one WeChat message into what the dialogue understands, and asks it."""
        user, kind = fields["FromUserName"], fields["MsgType"].lower()
        message = IncomingMessage(CHANNEL, user, message_id=key)
        if not self.limiter.allow(user):  # a flood (copies of one message count once)
            seconds = max(1, self.limiter.retry_after(user))
            return [OutgoingMessage(self.t("wechat.slow_down", seconds=seconds))]
        try:
            if kind == "text":
                message = IncomingMessage(CHANNEL, user, fields.get("Content", ""), message_id=key)
            elif kind == "image":
                reply, attachment = await self._download(fields.get("MediaId", ""))
                if attachment is None:
                    return [OutgoingMessage(self.t(reply))]
                message = IncomingMessage(CHANNEL, user, attachments=(attachment,), message_id=key)
            elif kind == "voice":
                heard = fields.get("Recognition", "").strip()
                if not heard:
                    return [OutgoingMessage(self.t("wechat.voice_type_please"))]
                message = IncomingMessage(CHANNEL, user, heard, message_id=key)
            elif kind == "event":
                event = fields.get("Event", "").lower()
                if event == "subscribe":
                    message = IncomingMessage(CHANNEL, user, "/start", message_id=key)
                elif event == "click" and fields.get("EventKey"):
                    message = IncomingMessage(
                        CHANNEL, user, payload=fields["EventKey"], message_id=key
                    )
                else:
                    return []  # unsubscribe, menu links, location reports: nothing to say
            else:
                return [OutgoingMessage(self.t("wechat.unsupported"))]
            return await self.handle(message)
        except Exception:
            log.exception("a WeChat message could not be handled")
            return [OutgoingMessage(self.t("error.generic"))]

    async def _download(self, media_id: str) -> tuple[str, Any]:
        """The photo as evidence, or the catalogue key of why not."""
        try:
            data = await self._media(media_id)
        except Exception as exc:
            log.warning("WeChat media %s could not be fetched: %s", media_id, exc)
            return "wechat.file_failed", None
        try:
            return "", await asyncio.to_thread(self.evidence.store, data, name=f"{media_id}.jpg")
        except UnsupportedFile as exc:
            log.info("WeChat media refused: %s", exc.reason)
            return "wechat.file_unsupported", None

    # --- the platform API -------------------------------------------------------------

    async def send(self, recipient: str, message: OutgoingMessage) -> None:
        """A push: customer-service message while the resident's 48-hour window is open,
        otherwise the configured template message."""
        text = "\n\n".join(render_all([message], self.t("wechat.choose_by_number")))
        try:
            await self._custom_send(recipient, text)
        except WeChatApiError as exc:
            if exc.errcode != OUTSIDE_WINDOW:
                raise
            if not self.template_id:
                raise Undeliverable("outside the 48-hour window and no template set") from exc
            # The numbered choices go into the template too: the worker remembers them, so
            # a typed "1" must answer what the resident was shown.
            body = template_message(recipient, self.template_id, TEMPLATE_FIELD, text)
            _raise_for(await self._api_post("/cgi-bin/message/template/send", body))

    async def _custom_send(self, openid: str, text: str) -> None:
        _raise_for(await self._api_post("/cgi-bin/message/custom/send", custom_text(openid, text)))

    async def _access_token(self) -> str:
        return await self.token_store.get(f"wechat:{self.app_id}", self._fetch_token)

    async def _fetch_token(self) -> tuple[str, int]:
        response = await self._http.post(
            f"{self.api_base}/cgi-bin/stable_token",
            json={
                "grant_type": "client_credential",
                "appid": self.app_id,
                "secret": self.app_secret,
                "force_refresh": self._force_refresh,
            },
        )
        _check_http(response)
        data = response.json()
        if "access_token" not in data:
            raise WeChatApiError(int(data.get("errcode", -1)), data.get("errmsg", ""))
        self._force_refresh = False
        return data["access_token"], int(data.get("expires_in", 7200))

    async def _with_token(self, call: Callable[[str], Any]) -> httpx.Response:
        """Calls the API; a token WeChat refuses is dropped and the call made once more."""
        for attempt in range(2):
            token = await self._access_token()
            try:
                response: httpx.Response = await call(token)
            except httpx.TransportError as exc:
                raise RetryLater(30, f"WeChat unreachable: {exc}") from exc
            _check_http(response)
            if _error_of(response).get("errcode") in TOKEN_REFUSED and attempt == 0:
                await self.token_store.invalidate(f"wechat:{self.app_id}", token)
                self._force_refresh = True
                continue
            return response
        raise AssertionError("unreachable")

    async def _api_post(self, path: str, body: bytes) -> dict[str, Any]:
        response = await self._with_token(
            lambda token: self._http.post(
                f"{self.api_base}{path}",
                params={"access_token": token},
                content=body,
                headers={"Content-Type": "application/json; charset=utf-8"},
            )
        )
        data: dict[str, Any] = response.json()
        return data

    async def _media(self, media_id: str) -> bytes:
        response = await self._with_token(
            lambda token: self._http.get(
                f"{self.api_base}/cgi-bin/media/get",
                params={"access_token": token, "media_id": media_id},
            )
        )
        error = _error_of(response)
        if error:
            raise WeChatApiError(int(error.get("errcode", -1)), str(error.get("errmsg", "")))
        if len(response.content) > MAX_BYTES:
            raise UnsupportedFile("too_big")
        return response.content


def _error_of(response: httpx.Response) -> dict[str, Any]:
    """WeChat's JSON error (HTTP 200 with errcode), or {} for a file or a success."""
    if not response.headers.get("content-type", "").startswith(("application/json", "text")):
        return {}
    try:
        data = response.json()
    except ValueError:
        return {"errcode": -1, "errmsg": response.text[:200]}
    return data if isinstance(data, dict) and data.get("errcode") else {}


def _check_http(response: httpx.Response) -> None:
    if response.status_code >= 500 or response.status_code == 429:
        raise RetryLater(30, f"WeChat answered HTTP {response.status_code}")
    response.raise_for_status()


def _raise_for(data: dict[str, Any]) -> None:
    errcode = int(data.get("errcode", 0))
    if errcode == 0:
        return
    if errcode in BUSY:
        raise RetryLater(BUSY[errcode], f"WeChat errcode {errcode}: {data.get('errmsg', '')}")
    if errcode in GONE:
        raise Undeliverable(f"WeChat errcode {errcode}: {data.get('errmsg', '')}")
    raise WeChatApiError(errcode, str(data.get("errmsg", "")))


async def _read_capped(request: Request) -> bytes | None:
    """The body, or None when it is over 1 MB (WeChat's messages are a few KB)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return None
    chunks, size = [], 0
    with contextlib.suppress(ClientDisconnect):
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                return None
            chunks.append(chunk)
    return b"".join(chunks)
