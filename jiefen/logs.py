"""Logging that never writes a phone or ID number in clear."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from backend.masking import mask_personal_data


class MaskPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_personal_data(record.getMessage())
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_personal_data(
                logging.Formatter().formatException(record.exc_info)
            )
        return True


def configure_logging(level: str = "INFO", log_file: Path | None = None) -> None:
    """Console chats log to a file so the conversation on screen stays clean."""
    handler: logging.Handler
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(log_file, encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskPersonalData())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("jieba", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
