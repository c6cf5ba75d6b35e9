#!/usr/bin/env bash
# Installs Debian's chromium and chromium-driver for the web-chat browser test
# (tests/bot/channels/test_webchat_browser.py). Does nothing when both are present.
# Needs root (apt-get); CI runs it before `JIEFEN_REQUIRE_BROWSER=1 make test`.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    echo "chromium and chromedriver are already installed:"
    chromium --version 2>/dev/null || true
    chromedriver --version 2>/dev/null || true
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-browser: chromium/chromedriver missing and this needs root." >&2
    echo "  run: sudo $0   (or: sudo apt-get install -y chromium chromium-driver)" >&2
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: no apt-get here; install chromium and its chromedriver yourself." >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends chromium chromium-driver fonts-noto-cjk

chromium --version
chromedriver --version
