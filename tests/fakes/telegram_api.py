"""A fake Telegram Bot API on loopback: the real JSON envelopes and routes, enough for the
adapter to run against it unchanged (PTB with base_url pointed here).

Tests queue updates (or build them to POST to a webhook), read what the bot sent, and can make
the next sendMessage fail the way Telegram does (429 with retry_after, 403 blocked), or hold it
(`hold_next_send`) so a test can kill the sender at a known point.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

BOT = {"id": 700000001, "is_bot": True, "first_name": "解纷", "username": "jiefen_test_bot"}
STRUCTURED = {"reply_markup", "commands", "allowed_updates"}
LONG_POLL_CAP = 2.0  # seconds: a fake long poll never waits longer, so tests stay quick


@dataclass
class SendGate:
    """Holds one sendMessage. At "before" the message is not taken (it never counts as sent);
    at "after" it is recorded as delivered and the HTTP answer is held back. `reached` is set
    when the request is held; the test kills the sender, then sets `release`."""

    point: str  # before | after
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class FakeTelegram:
    token: str = "123456:TEST-token"
    updates: list[dict[str, Any]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)  # sendMessage requests
    answered: list[str] = field(default_factory=list)  # callback query ids
    callbacks: list[str] = field(default_factory=list)  # ids of queries given out
    webhook: dict[str, Any] = field(default_factory=dict)
    commands: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # id -> path, content
    failures: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    gate: SendGate | None = None
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1000))
    _update_ids: itertools.count = field(default_factory=lambda: itertools.count(500))
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    # --- what a test does -------------------------------------------------------------

    def fail_next_send(self, code: int, description: str, **parameters: Any) -> None:
        self.failures.append((code, description, parameters))

    def hold_next_send(self, point: str) -> SendGate:
        if point not in ("before", "after"):
            raise ValueError(point)
        self.gate = SendGate(point)
        return self.gate

    def queue(self, update: dict[str, Any]) -> dict[str, Any]:
        self.updates.append(update)
        self._arrived.set()
        return update

    def text_update(self, chat_id: int, text: str, *, language: str = "zh-hans") -> dict:
        return self._message_update(chat_id, {"text": text}, language)

    def callback_update(self, chat_id: int, data: str, *, language: str = "zh-hans") -> dict:
        query_id = str(next(self._ids))
        self.callbacks.append(query_id)
        return {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": query_id,
                "from": _user(chat_id, language),
                "chat_instance": f"ci-{chat_id}",
                "data": data,
                "message": {
                    "message_id": next(self._ids),
                    "date": int(time.time()),
                    "chat": _chat(chat_id),
                    "from": BOT,
                    "text": "…",
                },
            },
        }

    def photo_update(self, chat_id: int, content: bytes, *, language: str = "zh-hans") -> dict:
        file_id = self._add_file(content, "photos/file_1.jpg")
        size = {"file_id": file_id, "file_unique_id": f"u{file_id}", "width": 64, "height": 48}
        photo = [dict(size, file_size=len(content))]
        return self._message_update(chat_id, {"photo": photo}, language)

    def document_update(
        self, chat_id: int, content: bytes, name: str, mime: str, *, language: str = "zh-hans"
    ) -> dict:
        file_id = self._add_file(content, f"documents/{name}")
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": name,
            "mime_type": mime,
            "file_size": len(content),
        }
        return self._message_update(chat_id, {"document": document}, language)

    async def wait_until(self, condition: Callable[[], bool], *, within: float = 10) -> None:
        """Bounded poll for something the bot does asynchronously."""
        deadline = asyncio.get_running_loop().time() + within
        while not condition():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out; sent so far: {[m['text'] for m in self.sent]}")
            await asyncio.sleep(0.01)

    # --- the HTTP side ----------------------------------------------------------------

    def asgi(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/bot{token}/{method}", self._method, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._download, methods=["GET"]),
            ]
        )

    async def _method(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.path_params["method"]
        self.calls.append(method)
        params = await _params(request)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        return await handler(params)

    async def _download(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return Response(status_code=401)
        path = request.path_params["path"]
        content = next((c for p, c in self.files.values() if p == path), None)
        return Response(status_code=404) if content is None else Response(content)

    async def _api_getMe(self, _: dict) -> Response:
        return _ok(BOT)

    async def _api_getUpdates(self, params: dict) -> Response:
        offset = int(params.get("offset") or 0)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]  # confirmed
        timeout = min(float(params.get("timeout") or 0), LONG_POLL_CAP)
        if not self.updates and timeout > 0:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), timeout)
        limit = int(params.get("limit") or 100)
        return _ok(self.updates[:limit])

    async def _api_sendMessage(self, params: dict) -> Response:
        gate = self.gate
        if gate is not None and gate.point == "before":
            self.gate = None
            gate.reached.set()
            await gate.release.wait()
            return _error(502, "Bad Gateway")  # the message was never taken
        if self.failures:
            code, description, parameters = self.failures.pop(0)
            return _error(code, description, parameters)
        self.sent.append(params)
        message = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": _chat(int(params["chat_id"])),
            "from": BOT,
            "text": params["text"],
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        if gate is not None and gate.point == "after":
            self.gate = None
            gate.reached.set()
            await gate.release.wait()  # delivered; the sender has not heard so yet
        return _ok(message)

    async def _api_answerCallbackQuery(self, params: dict) -> Response:
        self.answered.append(str(params["callback_query_id"]))
        return _ok(True)

    async def _api_getFile(self, params: dict) -> Response:
        file_id = str(params["file_id"])
        if file_id not in self.files:
            return _error(400, "Bad Request: invalid file_id")
        path, content = self.files[file_id]
        result = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_path": path}
        return _ok(dict(result, file_size=len(content)))

    async def _api_setWebhook(self, params: dict) -> Response:
        self.webhook = params
        return _ok(True)

    async def _api_deleteWebhook(self, _: dict) -> Response:
        self.webhook = {}
        return _ok(True)

    async def _api_setMyCommands(self, params: dict) -> Response:
        self.commands[params.get("language_code") or ""] = params["commands"]
        return _ok(True)

    async def _api_getMyCommands(self, params: dict) -> Response:
        return _ok(self.commands.get(params.get("language_code") or "", []))

    def _add_file(self, content: bytes, name: str) -> str:
        file_id = str(next(self._ids))
        folder, _, base = name.rpartition("/")
        self.files[file_id] = (f"{folder}/{file_id}_{base}", content)
        return file_id

    def _message_update(self, chat_id: int, content: dict, language: str) -> dict:
        message = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": _chat(chat_id),
            "from": _user(chat_id, language),
            **content,
        }
        return {"update_id": next(self._update_ids), "message": message}

    # --- reading what the bot sent ------------------------------------------------------

    def buttons(self, message: dict[str, Any]) -> list[dict[str, str]]:
        markup = message.get("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]


def _user(chat_id: int, language: str) -> dict:
    return {"id": chat_id, "is_bot": False, "first_name": "村民", "language_code": language}


def _chat(chat_id: int) -> dict:
    return {"id": chat_id, "type": "private", "first_name": "村民"}


async def _params(request: Request) -> dict[str, Any]:
    """PTB posts form fields; structured values (reply_markup, commands...) as JSON text."""
    if request.headers.get("content-type", "").startswith("application/json"):
        return dict(await request.json())
    form = await request.form()
    return {k: json.loads(v) if k in STRUCTURED else v for k, v in form.items()}


def _ok(result: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return JSONResponse(body, status_code=code)
