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

# shellcheck source=scripts/apt-common.sh
. "$(dirname "$0")/apt-common.sh"
apt_install install-fonts "install a CJK font (Noto Sans CJK, WenQuanYi) yourself." \
    fonts-noto-cjk fontconfig

fc-list :lang=zh family | sort -u | head -n 3
