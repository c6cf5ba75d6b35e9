#!/bin/sh
# Regenerates docs/transcripts/mediator-console.txt: a resident and two mediators of the
# 陈家村 committee, each in their own `jiefen chat --user` session (piped input), on a fresh
# SQLite database. Pushes (offers, "accepted", relayed messages, outcomes) are delivered by the
# real outbox worker into the terminal between the sessions, marked "[push to USER]"; a
# number typed next in that user's session taps the push's button.
#   sh docs/transcripts/mediator-console.sh > docs/transcripts/mediator-console.txt
set -eu
cd "$(dirname "$0")/../.."
JIEFEN_VAR_DIR="$(mktemp -d)"
JIEFEN_DATABASE_URL="sqlite+aiosqlite:///$JIEFEN_VAR_DIR/jiefen.db"
export JIEFEN_VAR_DIR JIEFEN_DATABASE_URL
J=.venv/bin/jiefen

session() {  # session USER LINE... : one chat session, one message per line
    user=$1
    shift
    echo "=== jiefen chat --user $user"
    printf '%s\n' "$@" | $J chat --user "$user"
}

pushes() {  # deliver what is due, printing each push with its recipient
    echo "=== outbox worker: pushes delivered now"
    .venv/bin/python - <<'EOF'
import asyncio

from backend.clock import SystemClock
from bot.channels.console import render
from bot.delivery import OutboxWorker
from bot.i18n import Texts
from jiefen.app import open_store
from jiefen.settings import load_settings


class Terminal:
    name = "console"
    numbered_options = True  # the console shows options as numbered lines

    def routes(self):
        return []

    async def start(self):
        return None

    async def stop(self):
        return None

    async def send(self, recipient, message):
        print(f"[push to {recipient}]\n{render(message)}\n")


async def main():
    settings = load_settings()
    db = await open_store(settings)
    texts = Texts(settings.locales_dir, settings.timezone)
    worker = OutboxWorker(db, {"console": Terminal()}, texts, SystemClock())
    while await worker.run_once():
        pass
    await db.dispose()


asyncio.run(main())
EOF
}

echo "# $(date -u +%Y-%m-%d) sh docs/transcripts/mediator-console.sh on a fresh SQLite database."
echo "# Lines starting with '>' are typed; numbers tap the buttons of the reply just above."
echo
echo "=== jiefen orgs load config/organizations.yaml"
$J orgs load config/organizations.yaml
ZHOU=$($J mediators invite m_zhou_03)
LUO=$($J mediators invite m_luo_03)
echo "=== jiefen mediators invite m_zhou_03 -> $ZHOU ; jiefen mediators invite m_luo_03 -> $LUO"
echo
session zhou "注册 $ZHOU"
session luo "注册 $LUO"

out=$(session resident 隔壁邻居天天半夜装修电钻响，吵得一家老小都睡不着，说了好几次也不听 1 1 \
    枫桥镇陈家村 邻居王某 2 4 1 13812345678 1)
echo "$out"
N=$(echo "$out" | grep -o '20[0-9][0-9]-[0-9]\{6\}' | head -n 1)
pushes

# 周玲芝 answers the push by its numbers: 婉拒, 手上案件太多; the committee's other mediator
# gets the offer and accepts it from the case card
session zhou 2 1
pushes
session luo "/cases" "/case $N" 1
pushes

session resident "/status"
session luo "/contact $N 周六上午九点请到陈家村村委会调解室，王某也会到，可以带上录像" \
    "/note $N 双方同意周六当面谈，王某承认施工时间太晚"
pushes
# the resident taps 回复调解员 under the relayed message
session resident 1 "好的，周六上午我在家，王某家一般晚上十一点还在用电钻" 1
pushes
session luo "/outcome $N" 1 "王某保证晚上十点后不再施工，并赔偿300元" "/confirm $N" "/case $N"
pushes
session resident "/status"

echo "=== jiefen route explain $N"
$J route explain "$N"
echo
echo "=== jiefen route explain $N --lang en --group-size 30 --category labour (what if)"
$J route explain "$N" --lang en --group-size 30 --category labour
rm -rf "$JIEFEN_VAR_DIR"
