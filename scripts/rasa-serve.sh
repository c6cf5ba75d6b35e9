#!/usr/bin/env bash
# Serve the trained NLU model over HTTP on loopback only:
#   POST http://127.0.0.1:${PORT:-5005}/model/parse?token=$JIEFEN_RASA_TOKEN  {"text": "..."}
#   GET  http://127.0.0.1:${PORT:-5005}/             (liveness, no token needed)
#   GET  http://127.0.0.1:${PORT:-5005}/status?token=...  (model loaded?)
#
#   JIEFEN_RASA_TOKEN=secret scripts/rasa-serve.sh [extra `rasa run` options]
#
# Runs in the foreground (exec: the PID is the server's); stop it with SIGTERM/SIGINT.
#
# Environment:
#   JIEFEN_RASA_TOKEN    required: the API token (--auth-token)
#   PORT                 default 5005
#   JIEFEN_RASA_MODEL    default <repo>/nlu/models/jiefen-nlu.tar.gz (scripts/rasa-train.sh)
#   JIEFEN_RASA_VENV     default <repo>/.venv-rasa (scripts/rasa-setup.sh)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${JIEFEN_RASA_VENV:-$ROOT/.venv-rasa}"
MODEL="${JIEFEN_RASA_MODEL:-$ROOT/nlu/models/jiefen-nlu.tar.gz}"
PORT="${PORT:-5005}"

die() { echo "rasa-serve: $*" >&2; exit 1; }

case "${1:-}" in -h|--help) sed -n '2,16p' "$0"; exit 0 ;; esac

[[ -x "$VENV/bin/rasa" ]] || die "no Rasa venv at $VENV: run scripts/rasa-setup.sh first"
[[ -f "$MODEL" ]] || die "no model at $MODEL: run scripts/rasa-train.sh first"
[[ -n "${JIEFEN_RASA_TOKEN:-}" ]] || die "set JIEFEN_RASA_TOKEN (the API token clients pass as ?token=)"
[[ "$PORT" =~ ^[0-9]+$ ]] || die "PORT must be a number, not '$PORT'"
MODEL="$(cd "$(dirname "$MODEL")" && pwd)/$(basename "$MODEL")"

# The model names the custom tokenizer `rasa_components.jieba_clean_tokenizer...`: make
# it importable without putting nlu/ on the path (nlu/types.py would shadow the standard
# library's `types`). Same arrangement as rasa-train.sh, in a folder of its own.
RUNDIR="$(dirname "$MODEL")/.rasa-run"
mkdir -p "$RUNDIR"
ln -sfn "$ROOT/nlu/rasa_components" "$RUNDIR/rasa_components"

export PYTHONPATH="$RUNDIR"
unset PYTHONHOME
export RASA_TELEMETRY_ENABLED=false
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
export SQLALCHEMY_SILENCE_UBER_WARNING=1

cd "$RUNDIR"
exec "$VENV/bin/rasa" run \
  --enable-api \
  --auth-token "$JIEFEN_RASA_TOKEN" \
  -i 127.0.0.1 \
  -p "$PORT" \
  -m "$MODEL" \
  "$@"
