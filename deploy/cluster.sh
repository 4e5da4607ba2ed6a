#!/usr/bin/env bash
# A local cluster for drills: nginx in front of two gunicorn servers, plus two rq workers,
# on the local PostgreSQL and Redis.
# Usage: deploy/cluster.sh start|stop|status|restart-web N|start-worker N|flask ARGS...
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUN=${CLUSTER_DIR:-$ROOT/var/cluster}
PORT=${CLUSTER_PORT:-8080}
WEB_PORTS=(${CLUSTER_WEB_PORTS:-8001 8002})
WORKERS=${CLUSTER_WORKERS:-2}
BIN=${VETTED_VENV:-$ROOT/.venv}/bin
# Debian installs nginx in /usr/sbin, which is not on a normal user's PATH.
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}

export VETTED_ENV=production
export DATABASE_URL=${CLUSTER_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/vetted_cluster}
export REDIS_URL=${CLUSTER_REDIS_URL:-redis://127.0.0.1:6379/10}
export BASE_URL=${BASE_URL:-http://127.0.0.1:$PORT}
export STORAGE_DIR=$RUN/storage MAIL_DIR=$RUN/mail VAR_DIR=$RUN
export TRUSTED_PROXIES=1 SESSION_COOKIE_SECURE=false LOG_JSON=true
export PROMETHEUS_MULTIPROC_DIR=$RUN/metrics

prepare() {
  mkdir -p "$RUN"/{tmp,storage,mail,metrics,logs}
  [[ -f $RUN/.secret_key ]] || "$BIN/python" -c 'import secrets;print(secrets.token_urlsafe(32))' > "$RUN/.secret_key"
  export SECRET_KEY; SECRET_KEY=$(cat "$RUN/.secret_key")
  [[ -f $RUN/.encryption_keys ]] || "$BIN/python" -c 'from models.crypto import generate_key;print("c1:"+generate_key())' > "$RUN/.encryption_keys"
  export ENCRYPTION_KEYS; ENCRYPTION_KEYS=$(cat "$RUN/.encryption_keys")
  "$BIN/flask" --app app db create >/dev/null
  "$BIN/flask" --app app db upgrade >/dev/null 2>&1
}

start_web() {
  local port=$1
  GUNICORN_BIND=127.0.0.1:$port WEB_CONCURRENCY=${WEB_CONCURRENCY:-2} \
    "$BIN/gunicorn" --config deploy/gunicorn.conf.py --pid "$RUN/web-$port.pid" --daemon \
    --access-logfile "$RUN/logs/web-$port.access.log" --error-logfile "$RUN/logs/web-$port.log" \
    "app:create_app()"
}

start_worker() {
  local n=$1
  nohup "$BIN/python" worker.py >> "$RUN/logs/worker-$n.log" 2>&1 &
  echo $! > "$RUN/worker-$n.pid"
}

render_nginx() {
  local upstreams="" user=""
  for port in "${WEB_PORTS[@]}"; do
    upstreams+="server 127.0.0.1:$port max_fails=2 fail_timeout=5s; "
  done
  # Started as root, nginx runs its workers as nobody, who cannot enter a private run directory
  # (the drills' is under pytest's root-only temporary directory) to buffer a large request
  # body there: on this local cluster, keep them as root.
  [[ $EUID -eq 0 ]] && user="user root;"
  sed -e "s|@RUN@|$RUN|g" -e "s|@PORT@|$PORT|g" -e "s|@UPSTREAMS@|$upstreams|" \
    -e "s|@USER@|$user|" deploy/nginx.conf.template > "$RUN/nginx.conf"
}

nginx_ctl() {  # -e: never touch /var/log/nginx (not writable without root)
  "$NGINX" -c "$RUN/nginx.conf" -p "$RUN" -e "$RUN/nginx-error.log" "$@"
}

wait_ready() {
  for _ in $(seq 1 60); do
    curl -fsS "http://127.0.0.1:$1/readyz" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "server on port $1 did not become ready" >&2
  return 1
}

stop_pidfile() {
  local file=$1
  if [[ -f $file ]]; then
    local pid; pid=$(cat "$file")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$file"
  fi
}

case ${1:-start} in
  start)
    prepare
    for port in "${WEB_PORTS[@]}"; do start_web "$port"; done
    for n in $(seq 1 "$WORKERS"); do start_worker "$n"; done
    render_nginx
    nginx_ctl
    for port in "${WEB_PORTS[@]}"; do wait_ready "$port"; done
    wait_ready "$PORT"
    echo "Vetted cluster: http://127.0.0.1:$PORT (web ${WEB_PORTS[*]}, $WORKERS workers, logs in $RUN/logs)"
    ;;
  stop)
    [[ -f $RUN/nginx.pid ]] && nginx_ctl -s quit 2>/dev/null || true
    for port in "${WEB_PORTS[@]}"; do stop_pidfile "$RUN/web-$port.pid"; done
    for n in $(seq 1 "$WORKERS"); do stop_pidfile "$RUN/worker-$n.pid"; done
    echo "Vetted cluster stopped."
    ;;
  restart-web)  # graceful restart of one web server (drills): stop it, start it, wait until ready
    port=${WEB_PORTS[$(( ${2:-1} - 1 ))]}
    prepare
    stop_pidfile "$RUN/web-$port.pid"
    start_web "$port"
    wait_ready "$port"
    ;;
  start-worker)  # start worker N again, as a supervisor would after a crash (drills: kill -9)
    prepare
    start_worker "${2:-1}"
    ;;
  status)
    for port in "${WEB_PORTS[@]}" "$PORT"; do
      printf "%-6s %s\n" "$port" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz" || true)"
    done
    for n in $(seq 1 "$WORKERS"); do
      f=$RUN/worker-$n.pid
      [[ -f $f ]] && kill -0 "$(cat "$f")" 2>/dev/null && echo "worker $n running" || echo "worker $n stopped"
    done
    ;;
  flask)  # run a flask command against the cluster's database and keys (create a user, a token)
    shift
    prepare
    exec "$BIN/flask" --app app "$@"
    ;;
  *) echo "usage: $0 start|stop|status|restart-web N|start-worker N|flask ARGS..." >&2; exit 2 ;;
esac
