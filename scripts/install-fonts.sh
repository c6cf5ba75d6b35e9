#!/usr/bin/env bash
# Installs a Chinese (CJK) font so the charts of `jiefen report` show Chinese labels
# (Debian's fonts-noto-cjk, the same font the browser test uses). Does nothing when a CJK font
# is already there. Without one the report still works: its charts fall back to English labels
# and the log says so. Needs root (apt-get); CI (.ci/run) runs it before the tests.
set -euo pipefail

if command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh family | grep -q .; then
    echo "a CJK font is already installed:"
    fc-list :lang=zh family | sort -u | head -n 3
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-fonts: no CJK font found and installing one needs root." >&2
    echo "  run: sudo $0   (or: sudo apt-get install -y fonts-noto-cjk)" >&2
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-fonts: no apt-get here; install a CJK font (Noto Sans CJK, WenQuanYi) yourself." >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends fonts-noto-cjk fontconfig

fc-list :lang=zh family | sort -u | head -n 3
