# Shared preamble of the rasa-*.sh scripts (sourced, not run): where things are, how a
# script fails, and the one flag the set-up and training scripts take.
#   ROOT  the repository;  VENV  the Rasa environment (JIEFEN_RASA_VENV, default .venv-rasa)
#   force 1 when --force was given
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${JIEFEN_RASA_VENV:-$ROOT/.venv-rasa}"
SCRIPT="$(basename "$0" .sh)"

die() { echo "$SCRIPT: $*" >&2; exit 1; }

force=0
case "${1:-}" in
  --force) force=1 ;;
  "") ;;
  -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
  *) echo "$SCRIPT: unknown argument: $1" >&2; exit 2 ;;
esac
