#!/usr/bin/env bash
# Measure the served Rasa NLU model: start-to-ready time, resident memory, the answer of
# /model/parse for a few texts, and parse latency over N sequential requests. Starts its
# own server with scripts/rasa-serve.sh on loopback and stops it when done.
#
#   scripts/rasa-bench.sh [N]        N sequential parse requests (default 200)
#
# Environment: PORT (default 5099), JIEFEN_RASA_MODEL, JIEFEN_RASA_VENV as rasa-serve.sh;
# JIEFEN_RASA_TOKEN (default: a random one for this run).
# Prints a JSON report on stdout; the server's log goes to $TMPDIR/rasa-bench-server.log.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N="${1:-200}"
export PORT="${PORT:-5099}"
export JIEFEN_RASA_TOKEN="${JIEFEN_RASA_TOKEN:-bench-$RANDOM$RANDOM}"
LOG="${TMPDIR:-/tmp}/rasa-bench-server.log"
PY="$(command -v python3 || echo "$ROOT/.venv-rasa/bin/python")"

[[ "$N" =~ ^[0-9]+$ ]] || { echo "rasa-bench: N must be a number" >&2; exit 2; }
if "$PY" - "$PORT" <<'EOF'
import socket, sys
s = socket.socket()
sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)
EOF
then
  echo "rasa-bench: port $PORT is already in use; set PORT" >&2; exit 1
fi

start_ns=$(date +%s%N)
"$ROOT/scripts/rasa-serve.sh" >"$LOG" 2>&1 &
pid=$!
stop() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
trap stop EXIT

"$PY" - "$pid" "$start_ns" "$N" <<'EOF'
import http.client, json, os, statistics, sys, time
pid, start_ns, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
port, token = int(os.environ["PORT"]), os.environ["JIEFEN_RASA_TOKEN"]

def rss_kib(field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None

def get(path, conn=None):
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("GET", path)
    r = c.getresponse()
    body = r.read()
    if conn is None:
        c.close()
    return r.status, body

def since_start():
    return (time.time_ns() - start_ns) / 1e9

# Start-to-ready: first answer of GET / (server listening) and of GET /status (model
# loaded; it needs the token). Rasa loads the model before it starts listening, so the
# two are normally the same moment.
root_ready = status_ready = None
deadline = time.time() + 600
while status_ready is None:
    if time.time() > deadline:
        sys.exit("server not ready after 600 s")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit("server exited; see its log")
    try:
        if root_ready is None and get("/")[0] == 200:
            root_ready = since_start()
        if get(f"/status?token={token}")[0] == 200:
            status_ready = since_start()
    except OSError:
        pass
    time.sleep(0.05)
rss_ready = rss_kib("VmRSS")

conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

def parse(text):
    t0 = time.perf_counter()
    conn.request("POST", f"/model/parse?token={token}",
                 body=json.dumps({"text": text}).encode(),
                 headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    body = r.read()
    dt = time.perf_counter() - t0
    if r.status != 200:
        sys.exit(f"parse failed: HTTP {r.status} {body[:200]!r}")
    return json.loads(body), dt

samples = ["你好", "隔壁邻居天天半夜吵得睡不着", "老板欠了我三个月工资",
           "楼上装修 噪音太大\t天天吵", "谢谢", "今天天气怎么样"]
answers = {}
first_parse_s = None
for text in samples:
    ans, dt = parse(text)
    if first_parse_s is None:
        first_parse_s = dt
    answers[text] = ans

texts = samples + ["我借给朋友五万块钱 他一直不还", "小区物业乱收停车费",
                   "我想预约调解", "案子现在进展到哪一步了", "能帮我转人工吗",
                   "在枫桥镇被电动车撞了 对方不肯赔医药费"]
lat = []
for i in range(n):
    lat.append(parse(texts[i % len(texts)])[1] * 1000)
rss_after = rss_kib("VmRSS")
hwm = rss_kib("VmHWM")
lat.sort()
def pct(p):
    return round(lat[min(len(lat) - 1, int(round(p / 100 * len(lat))) - 1)], 2)
report = {
    "ready_s": {"GET /": round(root_ready, 2), "GET /status": round(status_ready, 2)},
    "first_parse_ms": round(first_parse_s * 1000, 1),
    "rss_mib": {"after_ready": round(rss_ready / 1024, 1),
                f"after_{n}_parses": round(rss_after / 1024, 1),
                "peak_VmHWM": round(hwm / 1024, 1)},
    "latency_ms": {"n": n, "p50": pct(50), "p90": pct(90), "p99": pct(99),
                   "max": round(lat[-1], 2), "mean": round(statistics.mean(lat), 2)},
    "answers": answers,
}
print(json.dumps(report, ensure_ascii=False, indent=2))
EOF
