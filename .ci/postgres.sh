#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server with pgvector for the test suite's server leg, from Debian's packages only.
#
#   .ci/postgres.sh start   installs what is missing, starts a server on 127.0.0.1:$PG_PORT (default 55432)
#                           and prints shell assignments: DATABASE_URL=… and DRAFTDESK_PG_DIR=…
#   .ci/postgres.sh stop DIR  stops the server started in DIR and removes DIR
#
# Bookworm packages PostgreSQL 15 but not pgvector, so pgvector is built from Debian's own source package of
# the trixie suite. The deb-src list, its package lists and the download live in a temporary directory passed
# to apt with -o options: the machine's apt configuration is read (for its mirror URI), never changed.
# Progress goes to stderr; stdout carries only the assignments.
set -euo pipefail

PG_VERSION=15
PG_BIN=/usr/lib/postgresql/$PG_VERSION/bin
PG_CONFIG=$PG_BIN/pg_config
PORT=${PG_PORT:-55432}

log() { echo "postgres.sh: $*" >&2; }

# Runs a command as the postgres user when we are root (initdb refuses root), as ourselves otherwise.
as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install_packages() {
  if dpkg -s "postgresql-$PG_VERSION" "postgresql-server-dev-$PG_VERSION" >/dev/null 2>&1; then return; fi
  log "installing postgresql-$PG_VERSION and postgresql-server-dev-$PG_VERSION"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 \
    "postgresql-$PG_VERSION" "postgresql-server-dev-$PG_VERSION" >&2
}

# The first Debian mirror URI of this machine's own apt sources (deb822 or one-line format).
mirror_uri() {
  local uri=""
  if compgen -G '/etc/apt/sources.list.d/*.sources' >/dev/null; then
    uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
      /etc/apt/sources.list.d/*.sources | head -n1)
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
      /etc/apt/sources.list | head -n1)
  fi
  [ -n "$uri" ] || { log "no Debian mirror URI found in /etc/apt"; exit 1; }
  echo "$uri"
}

install_pgvector() {
  if [ -f "$("$PG_CONFIG" --sharedir)/extension/vector.control" ]; then return; fi
  local tmp uri
  tmp=$(mktemp -d)
  uri=$(mirror_uri)
  log "building pgvector from Debian trixie's source package ($uri)"
  mkdir -p "$tmp/lists/partial" "$tmp/src"
  # apt downloads as the _apt user when run by root: let it write into the temporary directories.
  chmod 755 "$tmp"
  if [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1; then chown _apt "$tmp/lists/partial" "$tmp/src"; fi
  echo "deb-src $uri trixie main" >"$tmp/sources.list"
  local opts=(-o "Dir::Etc::sourcelist=$tmp/sources.list" -o "Dir::Etc::sourceparts=-"
    -o "Dir::State::Lists=$tmp/lists")
  apt-get "${opts[@]}" update -qq >&2
  (cd "$tmp/src" && apt-get "${opts[@]}" source -qq pgvector >&2)
  local dir
  dir=$(find "$tmp/src" -mindepth 1 -maxdepth 1 -type d -name 'pgvector-*' | head -n1)
  make -s -C "$dir" PG_CONFIG="$PG_CONFIG" >&2
  make -s -C "$dir" PG_CONFIG="$PG_CONFIG" install >&2
  rm -rf "$tmp"
}

start_server() {
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    log "port $PORT is already in use (set PG_PORT to another port)"
    exit 1
  fi
  local dir
  dir=$(mktemp -d /tmp/draftdesk-pg.XXXXXX)
  chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  as_postgres "$PG_BIN/initdb" -A trust -U postgres -E UTF8 --locale=C.UTF-8 -D "$dir/data" >/dev/null
  # Durability is irrelevant for a throwaway test server; every test file opens its own pool.
  as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o \
    "-p $PORT -c listen_addresses=127.0.0.1 -k $dir -c max_connections=300 -c fsync=off \
     -c synchronous_commit=off -c full_page_writes=off" start >&2
  log "PostgreSQL $PG_VERSION with pgvector on 127.0.0.1:$PORT (data in $dir)"
  echo "DATABASE_URL=postgres://postgres@127.0.0.1:$PORT/postgres"
  echo "DRAFTDESK_PG_DIR=$dir"
}

stop_server() {
  local dir=${1:?usage: postgres.sh stop DIR}
  [ -d "$dir/data" ] && as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
  rm -rf "$dir"
}

case "${1:-}" in
  start)
    install_packages
    install_pgvector
    start_server
    ;;
  stop) stop_server "${2:-}" ;;
  *)
    echo "usage: $0 start | stop DIR" >&2
    exit 2
    ;;
esac
