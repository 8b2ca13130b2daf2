#!/usr/bin/env bash
# Start N app processes (streamlit run app.py) on consecutive loopback ports, all with the same
# HAZARDS_* settings, optionally with nginx in front (docs/nginx.conf, sticky sessions); stop them
# all on Ctrl-C or TERM, or as soon as one of them exits.
#
#   ./serve.sh [-n N] [-p FIRST_PORT] [--nginx PORT] [--run-dir DIR]
#
# More than one process needs the shared store: HAZARDS_DATABASE_URL=postgresql://… (a DuckDB
# file can be opened by one process only). Every process must also see the same
# HAZARDS_EVIDENCE_DIR and HAZARDS_UPLOADS_DIR folders (they inherit this shell's environment).
# The run folder (default data/run) holds each process's PID file and log, and nginx's rendered
# configuration, PID, logs and temporary files. PYTHON names the interpreter (default: .venv's).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROCESSES=1
FIRST_PORT=8501
NGINX_PORT=""
RUN_DIR="$ROOT/data/run"

usage() {
  sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

fail() {
  echo "错误：$*" >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    -n | --processes) PROCESSES="${2:-}"; shift 2 ;;
    -p | --port) FIRST_PORT="${2:-}"; shift 2 ;;
    --nginx) NGINX_PORT="${2:-}"; shift 2 ;;
    --run-dir) RUN_DIR="${2:-}"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; fail "无法识别的参数：$1" ;;
  esac
done

is_number() { [[ "$1" =~ ^[0-9]+$ ]]; }
is_number "$PROCESSES" && [ "$PROCESSES" -ge 1 ] || fail "进程数（-n）应为正整数：$PROCESSES"
is_number "$FIRST_PORT" && [ "$FIRST_PORT" -ge 1024 ] \
  && [ $((FIRST_PORT + PROCESSES - 1)) -le 65535 ] || fail "端口（-p）应在 1024–65535 之间：$FIRST_PORT"
if [ -n "$NGINX_PORT" ]; then
  is_number "$NGINX_PORT" && [ "$NGINX_PORT" -ge 1 ] && [ "$NGINX_PORT" -le 65535 ] \
    || fail "nginx 端口（--nginx）应在 1–65535 之间：$NGINX_PORT"
fi
URL="${HAZARDS_DATABASE_URL:-}"
if [ "$PROCESSES" -gt 1 ] && [[ ! "$URL" =~ ^postgres(ql)?:// ]]; then
  fail "启动多个进程需要共享数据库：请设置 HAZARDS_DATABASE_URL=postgresql://用户:密码@主机:端口/库名（数据库文件只能由一个进程打开）。"
fi
if [ -z "${PYTHON:-}" ]; then
  if [ -x "$ROOT/.venv/bin/python" ]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python3; fi
fi
if [ -n "$NGINX_PORT" ]; then
  NGINX="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"
  [ -x "$NGINX" ] || fail "找不到 nginx（apt-get install nginx），或去掉 --nginx 参数"
fi

mkdir -p "$RUN_DIR/logs"
RUN_DIR="$(cd "$RUN_DIR" && pwd)"
cd "$ROOT"

PIDS=()
stop() {
  trap - INT TERM EXIT
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -f "$RUN_DIR"/app-*.pid
  echo "已停止全部进程。" >&2
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap 'stop' EXIT

# whether http://127.0.0.1:PORT/_stcore/health answers 200 (bash's /dev/tcp: no curl needed)
healthy() {
  local reply
  { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
  printf 'GET /_stcore/health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  IFS= read -r -t 5 reply <&3 || reply=""
  exec 3>&- 3<&-
  [[ "$reply" == "HTTP/1."?" 200"* ]]
}

wait_healthy() {  # port pid what
  local i
  for i in $(seq 1 600); do
    healthy "$1" && return 0
    kill -0 "$2" 2>/dev/null || fail "$3 启动失败，见日志 $RUN_DIR/logs/"
    sleep 0.2
  done
  fail "$3 在 120 秒内没有应答，见日志 $RUN_DIR/logs/"
}

# The shared store is opened (created, upgraded, the demo city moved in when configured) once,
# before the processes start, so they do not all build it at the same time.
if [ -n "$URL" ]; then
  echo "准备共享数据库……" >&2
  "$PYTHON" -c 'from analytics import bootstrap
from analytics.config import Settings
bootstrap.open_configured(Settings.from_env())[0].close()' \
    || fail "无法打开共享数据库（HAZARDS_DATABASE_URL），见上方信息"
fi

for ((i = 0; i < PROCESSES; i++)); do
  port=$((FIRST_PORT + i))
  "$PYTHON" -m streamlit run "$ROOT/app.py" \
    --server.address 127.0.0.1 --server.port "$port" \
    --server.headless true --browser.gatherUsageStats false \
    >"$RUN_DIR/logs/app-$port.log" 2>&1 &
  PIDS+=("$!")
  echo "$!" >"$RUN_DIR/app-$port.pid"
done
for ((i = 0; i < PROCESSES; i++)); do
  port=$((FIRST_PORT + i))
  wait_healthy "$port" "${PIDS[$i]}" "进程 127.0.0.1:$port"
  echo "已启动：http://127.0.0.1:$port（PID ${PIDS[$i]}）" >&2
done

if [ -n "$NGINX_PORT" ]; then
  mkdir -p "$RUN_DIR/temp"
  # docs/nginx.conf with this run's processes in the upstream and this run's port
  servers=""
  for ((i = 0; i < PROCESSES; i++)); do
    servers+="        server 127.0.0.1:$((FIRST_PORT + i)) max_fails=1 fail_timeout=10s;\n"
  done
  awk -v servers="$servers" -v port="$NGINX_PORT" '
    /# serve.sh: app servers begin/ { print; printf "%s", servers; skip = 1; next }
    /# serve.sh: app servers end/ { skip = 0 }
    skip { next }
    { sub(/listen 127\.0\.0\.1:[0-9]+;/, "listen 127.0.0.1:" port ";"); print }
  ' "$ROOT/docs/nginx.conf" >"$RUN_DIR/nginx.conf"
  globals="daemon off;"
  # as root, nginx would hand its workers to another user, who cannot reach this run folder:
  # they run as the user who started the app processes instead
  if [ "$(id -u)" -eq 0 ]; then globals+=" user root;"; fi
  "$NGINX" -t -q -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -g "$globals" \
    || fail "nginx 配置检查失败：$RUN_DIR/nginx.conf"
  "$NGINX" -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -g "$globals" &
  PIDS+=("$!")
  wait_healthy "$NGINX_PORT" "$!" "nginx 127.0.0.1:$NGINX_PORT"
  echo "已启动：http://127.0.0.1:$NGINX_PORT（nginx，粘性会话，PID $!）" >&2
fi

echo "全部就绪；按 Ctrl-C 停止。" >&2
# one process ending (a crash, or killed) stops the others: a supervisor can restart the set
set +e
wait -n "${PIDS[@]}"
status=$?
set -e
echo "有进程已退出（状态 $status），正在停止其余进程。" >&2
exit "$status"
