"""A fake of the WeChat Official Account API, as far as the channel uses it: stable tokens,
customer-service and template messages, media download. Serve it with tests.servers.serving.

It records what it was sent and can be told to answer with an errcode, as WeChat does
(HTTP 200 with {"errcode": ..., "errmsg": ...}).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def sample_jpeg() -> bytes:
    """A small real photo with EXIF, as a phone would send it."""
    image = Image.new("RGB", (32, 24), (200, 120, 40))
    exif = Image.Exif()
    exif[0x0110] = "Phone X"  # camera model
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


@dataclass
class FakeWeChatApi:
    app_id: str = "wx-test-app"
    app_secret: str = "test-secret"
    tokens_issued: int = 0
    custom: list[dict[str, Any]] = field(default_factory=list)
    templates: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, bytes] = field(default_factory=dict)
    media_requests: list[str] = field(default_factory=list)
    # errcodes the next customer-service sends answer with, one per send
    custom_errors: list[int] = field(default_factory=list)
    template_errors: list[int] = field(default_factory=list)
    revoked_tokens: set[str] = field(default_factory=set)  # answered with 40001
    # HTTP statuses the next customer-service sends answer with (a gateway in trouble)
    custom_http_errors: list[int] = field(default_factory=list)

    def _token_ok(self, request: Request) -> bool:
        token = request.query_params.get("access_token", "")
        return token.startswith("fake-token-") and token not in self.revoked_tokens

    async def stable_token(self, request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        if (body.get("appid"), body.get("secret")) != (self.app_id, self.app_secret):
            return JSONResponse({"errcode": 40125, "errmsg": "invalid appsecret"})
        if body.get("grant_type") != "client_credential":
            return JSONResponse({"errcode": 40002, "errmsg": "invalid grant_type"})
        self.tokens_issued += 1
        return JSONResponse(
            {"access_token": f"fake-token-{self.tokens_issued}", "expires_in": 7200}
        )

    async def custom_send(self, request: Request) -> JSONResponse:
        if not self._token_ok(request):
            return JSONResponse({"errcode": 40001, "errmsg": "invalid credential"})
        if self.custom_http_errors:
            return Response("bad gateway", status_code=self.custom_http_errors.pop(0))
        if self.custom_errors:
            code = self.custom_errors.pop(0)
            return JSONResponse({"errcode": code, "errmsg": f"error {code}"})
        self.custom.append(json.loads(await request.body()))
        return JSONResponse({"errcode": 0, "errmsg": "ok"})

    async def template_send(self, request: Request) -> JSONResponse:
        if not self._token_ok(request):
            return JSONResponse({"errcode": 40001, "errmsg": "invalid credential"})
        if self.template_errors:
            code = self.template_errors.pop(0)
            return JSONResponse({"errcode": code, "errmsg": f"error {code}"})
        self.templates.append(json.loads(await request.body()))
        return JSONResponse({"errcode": 0, "errmsg": "ok", "msgid": len(self.templates)})

    async def media_get(self, request: Request) -> Response:
        if not self._token_ok(request):
            return JSONResponse({"errcode": 40001, "errmsg": "invalid credential"})
        media_id = request.query_params.get("media_id", "")
        self.media_requests.append(media_id)
        if media_id not in self.media:
            return JSONResponse({"errcode": 40007, "errmsg": "invalid media_id"})
        return Response(
            self.media[media_id],
            media_type="image/jpeg",
            headers={"Content-Disposition": f'attachment; filename="{media_id}.jpg"'},
        )

    def texts_to(self, openid: str) -> list[str]:
        return [m["text"]["content"] for m in self.custom if m["touser"] == openid]

    def asgi(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/cgi-bin/stable_token", self.stable_token, methods=["POST"]),
                Route("/cgi-bin/message/custom/send", self.custom_send, methods=["POST"]),
                Route("/cgi-bin/message/template/send", self.template_send, methods=["POST"]),
                Route("/cgi-bin/media/get", self.media_get, methods=["GET"]),
            ]
        )
