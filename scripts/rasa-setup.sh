#!/usr/bin/env bash
# Create the Rasa Open Source virtual environment `.venv-rasa` (Python 3.10) and install
# the pinned requirements-rasa.txt into it. Idempotent: when the venv was already set up
# from the same requirements file with the same Python, it exits at once.
#
#   scripts/rasa-setup.sh            set up (or do nothing when already set up)
#   scripts/rasa-setup.sh --force    reinstall the requirements into the existing venv
#
# Environment:
#   JIEFEN_RASA_PYTHON   a Python 3.10 interpreter to use (default: found via pyenv,
#                        then python3.10 on PATH)
#   JIEFEN_RASA_VENV     where to put the venv (default: <repo>/.venv-rasa)
#
# Cold install (empty pip cache): about 2.5 minutes and 2.7 GB (docs/rasa.md).
set -euo pipefail

# shellcheck source=scripts/rasa-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/rasa-common.sh"
REQS="$ROOT/requirements-rasa.txt"
STAMP="$VENV/.jiefen-rasa-setup"
PIP_VERSION="24.0"

[[ -f "$REQS" ]] || die "missing $REQS"

is_py310() {
  [[ -n "$1" && -x "$1" ]] || return 1
  "$1" -c 'import sys, venv; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' \
    >/dev/null 2>&1
}

find_python() {
  local cand prefix
  if [[ -n "${JIEFEN_RASA_PYTHON:-}" ]]; then
    is_py310 "$JIEFEN_RASA_PYTHON" && { echo "$JIEFEN_RASA_PYTHON"; return 0; }
    die "JIEFEN_RASA_PYTHON=$JIEFEN_RASA_PYTHON is not a working Python 3.10 (with venv)"
  fi
  # pyenv: `pyenv prefix 3.10` resolves the newest installed 3.10.x. Do not rely on the
  # python3.10 shim alone: it fails unless 3.10 is selected by `pyenv global/local`.
  if command -v pyenv >/dev/null 2>&1; then
    prefix="$(pyenv prefix 3.10 2>/dev/null | head -n1 || true)"
    cand="$prefix/bin/python3.10"
    is_py310 "$cand" && { echo "$cand"; return 0; }
  fi
  for cand in "$(command -v python3.10 2>/dev/null || true)" \
              "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.10.*/bin/python3.10 \
              /usr/local/bin/python3.10 /usr/bin/python3.10; do
    is_py310 "$cand" && { echo "$cand"; return 0; }
  done
  return 1
}

PY="$(find_python)" || die "no Python 3.10 found. Rasa Open Source 3.6 needs Python 3.8-3.10.
  Install one (e.g. 'pyenv install 3.10.13') or point JIEFEN_RASA_PYTHON at a python3.10
  that has the venv module."

want="$(cat "$REQS" <(echo "pip==$PIP_VERSION") <("$PY" -VV) | sha256sum | cut -d' ' -f1)"

if [[ $force -eq 0 && -f "$STAMP" && "$(cat "$STAMP")" == "$want" && -x "$VENV/bin/rasa" ]]; then
  echo "rasa-setup: $VENV is up to date ($("$VENV/bin/python" -V 2>&1), $(grep -m1 '^rasa==' "$REQS"))"
  exit 0
fi

start=$SECONDS
if [[ ! -x "$VENV/bin/python" ]] || ! is_py310 "$VENV/bin/python"; then
  [[ -e "$VENV" ]] && { echo "rasa-setup: $VENV is not a Python 3.10 venv; recreating it"; rm -rf "$VENV"; }
  echo "rasa-setup: creating $VENV with $PY ($("$PY" -V 2>&1))"
  "$PY" -m venv "$VENV"
fi
rm -f "$STAMP"

export PIP_DISABLE_PIP_VERSION_CHECK=1
"$VENV/bin/python" -m pip install --quiet "pip==$PIP_VERSION"
echo "rasa-setup: installing $REQS (cold: about 2.5 minutes, 2.7 GB)"
"$VENV/bin/python" -m pip install --quiet -r "$REQS"
"$VENV/bin/python" -m pip check

# No usage data leaves this machine; the scripts also set RASA_TELEMETRY_ENABLED=false.
RASA_TELEMETRY_ENABLED=false "$VENV/bin/rasa" telemetry disable >/dev/null 2>&1 || true

echo "$want" > "$STAMP"
echo "rasa-setup: done in $((SECONDS - start)) s: $("$VENV/bin/rasa" --version 2>/dev/null | grep -m1 'Rasa Version' | tr -s ' ')"
