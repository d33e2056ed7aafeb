#!/usr/bin/env bash
# Start a throwaway PostgreSQL server on 127.0.0.1 for the history tests (tests/test_history.py).
#
#   eval "$(bash scripts/ci_postgres.sh)"     # installs if needed, starts, prints the export line
#   bash scripts/ci_postgres.sh --stop        # stops it again
#
# stdout carries exactly one line,
#   export SAFESCORE_TEST_PG_URL=postgresql+psycopg://safescore:…@127.0.0.1:PORT/safescore_test
# and everything else goes to stderr, so the eval above is safe. Running it twice
# reuses the running server. The server is private to this script: its own data
# folder ($SAFESCORE_PG_DIR, default /tmp/safescore-pg), its own port
# ($SAFESCORE_PG_PORT, default 54329), listening on 127.0.0.1 only, so it never
# touches a cluster the machine already has. PostgreSQL refuses to run as root,
# so as root (CI) the server runs as the 'postgres' user the Debian package creates.
# The password is a fixed test value: the server holds nothing but test data and
# is reachable from this machine only.
set -euo pipefail

PGROOT=${SAFESCORE_PG_DIR:-/tmp/safescore-pg}
PORT=${SAFESCORE_PG_PORT:-54329}
DB=safescore_test
ROLE=safescore
PASSWORD=safescore-ci
DATA=$PGROOT/data

log() { echo "ci_postgres: $*" >&2; }
die() { log "$*"; exit 1; }

bindir() {
  # the newest installed major version (Debian keeps several side by side)
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [[ -z $d ]] && command -v pg_ctl >/dev/null 2>&1; then
    d=$(dirname "$(readlink -f "$(command -v pg_ctl)")")
  fi
  echo "$d"
}

install_postgres() {
  [[ $(id -u) -eq 0 ]] || die "PostgreSQL is not installed and this is not root: install the 'postgresql' package first"
  command -v apt-get >/dev/null 2>&1 || die "PostgreSQL is not installed and there is no apt-get"
  log "installing postgresql (apt-get)…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  # the package's own cluster may or may not start (containers usually forbid it); ours is separate
  apt-get install -y -qq postgresql >&2
}

BIN=$(bindir)
if [[ -z $BIN || ! -x $BIN/initdb ]]; then
  install_postgres
  BIN=$(bindir)
  [[ -n $BIN && -x $BIN/initdb ]] || die "postgresql installed but initdb not found under /usr/lib/postgresql"
fi

as_pg() {
  # run a server-side command as the data folder's owner; as root that must not be root
  if [[ $(id -u) -eq 0 ]]; then
    if command -v runuser >/dev/null 2>&1; then
      runuser -u postgres -- "$@"
    else
      su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
    fi
  else
    "$@"
  fi
}

psql_admin() {
  # superuser over the private Unix socket (trust auth for local connections only)
  as_pg "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGROOT" -p "$PORT" -U postgres -d postgres "$@"
}

if [[ ${1:-} == "--stop" ]]; then
  if [[ -f $DATA/postmaster.pid ]]; then
    as_pg "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >&2
  else
    log "no server running in $DATA"
  fi
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  id postgres >/dev/null 2>&1 || die "user 'postgres' missing (normally created by the postgresql package)"
fi

mkdir -p "$PGROOT"
[[ $(id -u) -eq 0 ]] && chown postgres: "$PGROOT"
chmod 0700 "$PGROOT"

if [[ ! -f $DATA/PG_VERSION ]]; then
  log "initdb $DATA ($("$BIN/postgres" --version))"
  as_pg "$BIN/initdb" -D "$DATA" -U postgres -E UTF8 --no-locale \
    --auth-local=trust --auth-host=scram-sha-256 >"$PGROOT/initdb.log" 2>&1 \
    || { cat "$PGROOT/initdb.log" >&2; die "initdb failed"; }
fi

if as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  log "server already running in $DATA"
else
  log "starting server on 127.0.0.1:$PORT"
  if ! as_pg "$BIN/pg_ctl" -D "$DATA" -l "$PGROOT/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $PORT -k $PGROOT -c fsync=off" start >&2; then
    tail -n 30 "$PGROOT/server.log" >&2 || true
    die "server did not start (port $PORT taken? set SAFESCORE_PG_PORT)"
  fi
fi

if [[ -z $(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'") ]]; then
  psql_admin -c "CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD'"
fi
if [[ -z $(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'") ]]; then
  psql_admin -c "CREATE DATABASE $DB OWNER $ROLE ENCODING 'UTF8'"
fi

# prove the URL we print works: TCP, password auth, the test role and database
PGPASSWORD=$PASSWORD "$BIN/psql" -X -q -h 127.0.0.1 -p "$PORT" -U "$ROLE" -d "$DB" -tAc "SELECT 1" >/dev/null \
  || die "cannot connect to $DB on 127.0.0.1:$PORT as $ROLE"
log "ready: $DB on 127.0.0.1:$PORT"
echo "export SAFESCORE_TEST_PG_URL=postgresql+psycopg://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB"
