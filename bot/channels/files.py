"""Evidence files from any channel: checked by content (not by the name or type the sender
claims), photos re-encoded without EXIF/GPS, stored outside any served folder, one file per
content."""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import filetype
from PIL import Image, UnidentifiedImageError

from bot.messages import Attachment

MAX_BYTES = 20 * 1024 * 1024
PHOTO_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}
DOCUMENT_TYPES = {"application/pdf": "pdf"}
VOICE_TYPES = {
    "audio/amr": "amr",
    "audio/mpeg": "mp3",
    "audio/ogg": "ogg",
    "audio/mp4": "m4a",
    "audio/x-m4a": "m4a",
}


class UnsupportedFile(ValueError):
    """Said to the resident politely; nothing is stored."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "too_big" | "unknown_type" | "broken_image"


@dataclass(frozen=True)
class EvidenceStore:
    root: Path

    def store(self, data: bytes, *, name: str | None = None) -> Attachment:
        if len(data) > MAX_BYTES:
            raise UnsupportedFile("too_big")
        kind = filetype.guess(data)
        mime = kind.mime if kind else None
        if mime in PHOTO_TYPES:
            data = _without_metadata(data, PHOTO_TYPES[mime])
            category, extension = "photo", PHOTO_TYPES[mime]
        elif mime in DOCUMENT_TYPES:
            category, extension = "document", DOCUMENT_TYPES[mime]
        elif mime in VOICE_TYPES:
            category, extension = "voice", VOICE_TYPES[mime]
        else:
            raise UnsupportedFile("unknown_type")
        digest = hashlib.sha256(data).hexdigest()
        path = self._write_once(data, f"{digest}.{extension}", digest[:2])
        return Attachment(
            kind=category, path=str(path), mime_type=mime, size=len(data), sha256=digest, name=name
        )

    def _write_once(self, data: bytes, name: str, shard: str) -> Path:
        """Named by content: a platform's retry of an upload (downloaded again before the
        dialogue sees it is a repeat) finds its file there and leaves no orphan behind.
        Written under a temporary name and renamed, so a file is never seen half-written."""
        folder = self.root / shard
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        if not path.exists():
            partial = folder / f".{uuid.uuid4().hex}.part"
            partial.write_bytes(data)
            os.replace(partial, path)
        return path


def _without_metadata(data: bytes, extension: str) -> bytes:
    """Re-encodes the pixels only, so EXIF (GPS position, phone model, time) is gone."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            clean = Image.frombytes(image.mode, image.size, image.tobytes())
            if image.mode == "P" and image.getpalette():
                clean.putpalette(image.getpalette())
            out = io.BytesIO()
            fmt = {"jpg": "JPEG", "png": "PNG", "webp": "WEBP", "gif": "GIF"}[extension]
            clean.save(out, format=fmt, **({"quality": 90} if fmt == "JPEG" else {}))
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise UnsupportedFile("broken_image") from exc
