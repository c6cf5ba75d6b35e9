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

# shellcheck source=scripts/apt-common.sh
. "$(dirname "$0")/apt-common.sh"
apt_install install-browser "install chromium and its chromedriver yourself." \
    chromium chromium-driver fonts-noto-cjk

chromium --version
chromedriver --version
