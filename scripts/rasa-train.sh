#!/usr/bin/env bash
# Train the NLU-only Rasa model from nlu/data into nlu/models/jiefen-nlu.tar.gz.
# Skips training when the model exists and nothing it is built from changed (the data,
# nlu/config.yml, nlu/domain.yml, nlu/rasa_components/, requirements-rasa.txt).
#
#   scripts/rasa-train.sh            train if needed
#   scripts/rasa-train.sh --force    train even when the fingerprint is unchanged
#
# Environment:
#   JIEFEN_RASA_DATA     NLU data file or folder (default: <repo>/nlu/data)
#   JIEFEN_RASA_MODELS   output folder (default: <repo>/nlu/models)
#   JIEFEN_RASA_VENV     the Rasa venv (default: <repo>/.venv-rasa, made by rasa-setup.sh)
#
# On 2 cores, ~2,300 examples: a few minutes (docs/rasa.md has the measured figure).
set -euo pipefail

# shellcheck source=scripts/rasa-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/rasa-common.sh"
DATA="${JIEFEN_RASA_DATA:-$ROOT/nlu/data}"
MODELS="${JIEFEN_RASA_MODELS:-$ROOT/nlu/models}"
NAME="jiefen-nlu"
CONFIG="$ROOT/nlu/config.yml"
DOMAIN="$ROOT/nlu/domain.yml"
COMPONENTS="$ROOT/nlu/rasa_components"

[[ -x "$VENV/bin/rasa" ]] || die "no Rasa venv at $VENV: run scripts/rasa-setup.sh first"
[[ -e "$DATA" ]] || die "no training data at $DATA"
if [[ -d "$DATA" ]]; then
  compgen -G "$DATA/*.yml" >/dev/null || compgen -G "$DATA/*.yaml" >/dev/null \
    || die "no *.yml files in $DATA"
fi
DATA="$(cd "$(dirname "$DATA")" && pwd)/$(basename "$DATA")"
mkdir -p "$MODELS"
MODELS="$(cd "$MODELS" && pwd)"
MODEL="$MODELS/$NAME.tar.gz"
FINGERPRINT="$MODELS/$NAME.fingerprint"

# Fingerprint: relative path + content of every input file, in a stable order.
fingerprint() {
  {
    if [[ -d "$DATA" ]]; then
      (cd "$DATA" && find . -type f \( -name '*.yml' -o -name '*.yaml' \) -print0 \
        | LC_ALL=C sort -z | xargs -0 -r sha256sum)
    else
      sha256sum < "$DATA"
    fi
    (cd "$ROOT" && sha256sum nlu/config.yml nlu/domain.yml requirements-rasa.txt)
    (cd "$ROOT" && find nlu/rasa_components -type f -name '*.py' -print0 \
      | LC_ALL=C sort -z | xargs -0 -r sha256sum)
  } | sha256sum | cut -d' ' -f1
}
want="$(fingerprint)"

if [[ $force -eq 0 && -f "$MODEL" && -f "$FINGERPRINT" && "$(cat "$FINGERPRINT")" == "$want" ]]; then
  echo "rasa-train: $MODEL is up to date (fingerprint ${want:0:12})"
  exit 0
fi

# Rasa must import `rasa_components.jieba_clean_tokenizer` (named in config.yml). It puts
# its working directory on sys.path, but nlu/ itself must NOT go on the path: nlu/types.py
# would shadow the standard library's `types` and Python would not even start. So run
# from a folder that holds nothing but a link to nlu/rasa_components.
RUNDIR="$MODELS/.rasa-run"
mkdir -p "$RUNDIR"
ln -sfn "$COMPONENTS" "$RUNDIR/rasa_components"

export PYTHONPATH="$RUNDIR"
unset PYTHONHOME
export RASA_TELEMETRY_ENABLED=false
export RASA_CACHE_DIRECTORY="$MODELS/.rasa-cache"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
export SQLALCHEMY_SILENCE_UBER_WARNING=1

rm -f "$FINGERPRINT"
echo "rasa-train: training $MODEL from $DATA"
start=$SECONDS
(cd "$RUNDIR" && "$VENV/bin/rasa" train nlu \
  --config "$CONFIG" \
  --domain "$DOMAIN" \
  --nlu "$DATA" \
  --out "$MODELS" \
  --fixed-model-name "$NAME")
[[ -f "$MODEL" ]] || die "training finished but $MODEL is missing"
echo "$want" > "$FINGERPRINT"
echo "rasa-train: trained $MODEL in $((SECONDS - start)) s"
