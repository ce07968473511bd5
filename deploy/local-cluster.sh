#!/usr/bin/env bash
# A throwaway three-silo Baton cluster on this machine, on a throwaway PostgreSQL.
#
#   deploy/local-cluster.sh up       start PostgreSQL and silos 1-3, wait until they serve
#   deploy/local-cluster.sh status   show what runs
#   deploy/local-cluster.sh down     stop exactly what `up` started and drop the database
#
# Everything lives in .local-cluster/ at the repository root (ignored by git). Ports can be
# moved when the defaults are taken, e.g. by a `dotnet run --project silo` on 8080:
#   BATON_LOCAL_PG_PORT (55433), BATON_LOCAL_HTTP_PORT (8080), BATON_LOCAL_SILO_PORT (11111),
#   BATON_LOCAL_GATEWAY_PORT (30000), BATON_LOCAL_TIMEOUT (seconds to wait for health, 180).
# Silo N uses base port + N - 1.
set -euo pipefail

readonly SILOS=3
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly ROOT
readonly STATE="$ROOT/.local-cluster"
readonly PGDATA_DIR="$STATE/pgdata"
readonly APP_DIR="$STATE/app"
readonly PG_PORT="${BATON_LOCAL_PG_PORT:-55433}"
readonly HTTP_PORT="${BATON_LOCAL_HTTP_PORT:-8080}"
readonly SILO_PORT="${BATON_LOCAL_SILO_PORT:-11111}"
readonly GATEWAY_PORT="${BATON_LOCAL_GATEWAY_PORT:-30000}"
readonly HEALTH_TIMEOUT="${BATON_LOCAL_TIMEOUT:-180}"
readonly STOP_TIMEOUT=60
readonly PG_USER=baton
readonly PG_DB=baton

log() { printf '%s\n' "$*"; }
fail() {
  printf 'local-cluster: %s\n' "$*" >&2
  exit 1
}

usage() {
  printf 'usage: %s up|down|status\n' "$(basename "$0")" >&2
  exit 2
}

# PostgreSQL's server tools: from PATH, else the newest /usr/lib/postgresql/*/bin.
pg_bin() {
  local initdb
  if initdb="$(command -v initdb)"; then
    dirname "$(readlink -f "$initdb")"
    return
  fi
  local dirs=(/usr/lib/postgresql/*/bin)
  [[ -x "${dirs[0]}/initdb" ]] || fail "initdb not found (install PostgreSQL server tools or put them on PATH)"
  printf '%s\n' "${dirs[@]}" | sort -V | tail -n 1
}

# initdb and the server refuse to run as root: as root, run them as the postgres user.
as_pg() {
  if [[ "$EUID" -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_owns() {
  if [[ "$EUID" -eq 0 ]]; then
    chown postgres: "$@"
  fi
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

http_port() { echo $((HTTP_PORT + $1 - 1)); }
silo_port() { echo $((SILO_PORT + $1 - 1)); }
gateway_port() { echo $((GATEWAY_PORT + $1 - 1)); }

# A PID from a pid file, if that process still runs and is the silo we started (guards
# against the PID having been reused by something else).
live_silo_pid() {
  local file="$STATE/silo$1.pid" pid
  [[ -f "$file" ]] || return 1
  pid="$(<"$file")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  ps -p "$pid" -o args= 2>/dev/null | grep -q 'Baton\.Silo\.dll' || return 1
  printf '%s\n' "$pid"
}

health_code() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$(http_port "$1")/healthz" || true
}

random_hex() {
  od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'
}

start_postgres() {
  local bin="$1"
  mkdir -p "$PGDATA_DIR"
  chmod 700 "$PGDATA_DIR"
  random_hex 16 >"$STATE/pg-password"
  chmod 600 "$STATE/pg-password"
  : >"$STATE/postgres.log"
  pg_owns "$PGDATA_DIR" "$STATE/pg-password" "$STATE/postgres.log"

  if [[ "$EUID" -eq 0 ]] && ! runuser -u postgres -- test -w "$PGDATA_DIR"; then
    fail "the postgres user cannot reach $PGDATA_DIR (check the permissions of its parent folders)"
  fi

  as_pg "$bin/initdb" -D "$PGDATA_DIR" -U "$PG_USER" --pwfile="$STATE/pg-password" \
    --auth-host=scram-sha-256 --auth-local=scram-sha-256 -E UTF8 --no-instructions >"$STATE/initdb.log" 2>&1 ||
    fail "initdb failed; see $STATE/initdb.log"

  # Loopback TCP only, no Unix socket; durability is pointless for a throwaway database.
  cat >>"$PGDATA_DIR/postgresql.conf" <<EOF

# local-cluster.sh
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = ''
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
EOF

  as_pg "$bin/pg_ctl" -D "$PGDATA_DIR" -l "$STATE/postgres.log" -w -t 60 start >/dev/null ||
    fail "PostgreSQL did not start; see $STATE/postgres.log"

  PGPASSWORD="$(<"$STATE/pg-password")" "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" "$PG_DB" ||
    fail "createdb failed"
  log "PostgreSQL: 127.0.0.1:$PG_PORT database $PG_DB (data in $PGDATA_DIR)"
}

start_silo() {
  local n="$1" connection="$2" key="$3"
  (
    export Baton__Postgres="$connection"
    export Baton__AdvertisedAddress=127.0.0.1
    export Baton__SiloPort
    Baton__SiloPort="$(silo_port "$n")"
    export Baton__GatewayPort
    Baton__GatewayPort="$(gateway_port "$n")"
    export Baton__ApiKeys__0__Key="$key"
    export Baton__ApiKeys__0__Principal=local-admin
    export Baton__ApiKeys__0__Roles__0=admin
    cd "$APP_DIR"
    exec nohup dotnet "$APP_DIR/Baton.Silo.dll" --urls "http://127.0.0.1:$(http_port "$n")" </dev/null
  ) >"$STATE/silo$n.log" 2>&1 &
  echo $! >"$STATE/silo$n.pid"
  log "silo$n: pid $!, http 127.0.0.1:$(http_port "$n"), silo port $(silo_port "$n"), gateway $(gateway_port "$n"), log $STATE/silo$n.log"
}

wait_healthy() {
  local deadline=$((SECONDS + HEALTH_TIMEOUT)) n pending
  while :; do
    pending=0
    for ((n = 1; n <= SILOS; n++)); do
      # kill -0, not live_silo_pid: a silo just started may not have exec'd dotnet yet.
      if ! kill -0 "$(<"$STATE/silo$n.pid")" 2>/dev/null; then
        log "silo$n exited; last lines of its log:" >&2
        tail -n 30 "$STATE/silo$n.log" >&2 || true
        return 1
      fi
      [[ "$(health_code "$n")" == 200 ]] || pending=1
    done
    ((pending)) || return 0
    if ((SECONDS >= deadline)); then
      for ((n = 1; n <= SILOS; n++)); do
        log "silo$n: /healthz $(health_code "$n")" >&2
      done
      log "silos not healthy after ${HEALTH_TIMEOUT}s; see $STATE/silo*.log" >&2
      return 1
    fi
    sleep 1
  done
}

cmd_up() {
  if [[ -d "$PGDATA_DIR" ]] || compgen -G "$STATE/*.pid" >/dev/null; then
    fail "a local cluster is already set up in $STATE; run '$0 down' first"
  fi
  command -v dotnet >/dev/null || fail "dotnet not found"
  command -v curl >/dev/null || fail "curl not found"

  local n port ports=("$PG_PORT")
  for ((n = 1; n <= SILOS; n++)); do
    ports+=("$(http_port "$n")" "$(silo_port "$n")" "$(gateway_port "$n")")
  done
  for port in "${ports[@]}"; do
    if port_in_use "$port"; then
      fail "port $port on 127.0.0.1 is in use (move the ports with BATON_LOCAL_*_PORT)"
    fi
  done

  local bin
  bin="$(pg_bin)"
  mkdir -p "$STATE"
  rm -f "$STATE"/silo*.log

  # From here on a failure tears down whatever was started; the logs stay for reading.
  trap 'log "up failed; stopping what was started" >&2; cmd_down >/dev/null 2>&1 || true' EXIT

  log "building the silo (dotnet publish, Release) ..."
  dotnet publish "$ROOT/silo/Baton.Silo.csproj" -c Release -o "$APP_DIR" --nologo -v quiet >"$STATE/build.log" 2>&1 ||
    fail "build failed; see $STATE/build.log"

  start_postgres "$bin"

  local connection key
  connection="Host=127.0.0.1;Port=$PG_PORT;Database=$PG_DB;Username=$PG_USER;Password=$(<"$STATE/pg-password")"
  key="$(random_hex 32)"
  (umask 077 && printf '%s\n' "$key" >"$STATE/api-key")

  for ((n = 1; n <= SILOS; n++)); do
    start_silo "$n" "$connection" "$key"
  done

  log "waiting up to ${HEALTH_TIMEOUT}s for /healthz on every silo ..."
  wait_healthy || fail "the cluster did not come up"
  trap - EXIT

  log ""
  log "Baton local cluster is up:"
  for ((n = 1; n <= SILOS; n++)); do
    log "  silo$n  http://127.0.0.1:$(http_port "$n")   gateway 127.0.0.1:$(gateway_port "$n")"
  done
  log "API key (principal local-admin, role admin) is in $STATE/api-key:"
  log "  curl -H \"Authorization: Bearer \$(cat $STATE/api-key)\" http://127.0.0.1:$(http_port 1)/..."
  log "Stop it with: $0 down"
}

stop_silo() {
  local n="$1" pid waited=0
  if pid="$(live_silo_pid "$n")"; then
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do
      if ((waited >= STOP_TIMEOUT)); then
        log "silo$n (pid $pid) still runs after ${STOP_TIMEOUT}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      sleep 1
      waited=$((waited + 1))
    done
    log "silo$n stopped (pid $pid)"
  fi
  rm -f "$STATE/silo$n.pid"
}

cmd_down() {
  local n
  for ((n = 1; n <= SILOS; n++)); do
    stop_silo "$n" &
  done
  wait

  if [[ -f "$PGDATA_DIR/postmaster.pid" ]]; then
    as_pg "$(pg_bin)/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 60 stop >/dev/null && log "PostgreSQL stopped"
  fi
  rm -rf "${PGDATA_DIR:?}" "${APP_DIR:?}"
  rm -f "$STATE/pg-password" "$STATE/api-key"
  log "local cluster removed (logs kept in $STATE)"
}

cmd_status() {
  local n pid any=0
  if [[ -d "$PGDATA_DIR" ]] && as_pg "$(pg_bin)/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
    log "postgres  running  127.0.0.1:$PG_PORT"
    any=1
  else
    log "postgres  stopped"
  fi
  for ((n = 1; n <= SILOS; n++)); do
    if pid="$(live_silo_pid "$n")"; then
      log "silo$n     pid $pid  http://127.0.0.1:$(http_port "$n")  /healthz $(health_code "$n")"
      any=1
    else
      log "silo$n     stopped"
    fi
  done
  if ((any)) && [[ -f "$STATE/api-key" ]]; then
    log "API key: $STATE/api-key"
  fi
}

[[ $# -eq 1 ]] || usage
case "$1" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *) usage ;;
esac
