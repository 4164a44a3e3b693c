#!/usr/bin/env bash
# The whole test suite: unit, integration on SQLite *and* PostgreSQL, UI (AppTest) and
# end-to-end in headless Chromium. Called by `make test` (after install) and so by .ci/run.
#
# - PostgreSQL: uses WORKBENCH_TEST_DATABASE_URL when set; otherwise creates a fresh
#   database on the local server (127.0.0.1:5432), starting the server if none answers,
#   and drops it afterwards.
# - Chromium: Debian's package, installed with apt when missing (never a browser download).
# Under CI (CI=true) a missing PostgreSQL or Chromium is an error, not a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
PGHOST_ADDR=${WORKBENCH_TEST_PGHOST:-127.0.0.1}
PGPORT_NUM=${WORKBENCH_TEST_PGPORT:-5432}
PGUSER_NAME=${WORKBENCH_TEST_PGUSER:-postgres}

note() { printf '\n== %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

pg_answers() { command -v pg_isready >/dev/null && pg_isready -q -h "$PGHOST_ADDR" -p "$PGPORT_NUM"; }

start_postgres() {
  if ! command -v pg_ctlcluster >/dev/null; then
    note "installing PostgreSQL (Debian package)"
    as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null || return 1
  fi
  local version
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  [ -n "$version" ] || return 1
  note "starting PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_answers && return 0; sleep 1; done
  return 1
}

CREATED_DB=""
cleanup() {
  if [ -n "$CREATED_DB" ]; then
    psql -q -h "$PGHOST_ADDR" -p "$PGPORT_NUM" -U "$PGUSER_NAME" -d postgres \
      -c "DROP DATABASE IF EXISTS \"$CREATED_DB\" WITH (FORCE)" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

if [ -z "${WORKBENCH_TEST_DATABASE_URL:-}" ]; then
  pg_answers || start_postgres || true
  if pg_answers; then
    CREATED_DB="wb_test_$(date +%Y%m%d%H%M%S)_$$"
    psql -q -h "$PGHOST_ADDR" -p "$PGPORT_NUM" -U "$PGUSER_NAME" -d postgres -c "CREATE DATABASE \"$CREATED_DB\""
    export WORKBENCH_TEST_DATABASE_URL="postgresql+psycopg://$PGUSER_NAME@$PGHOST_ADDR:$PGPORT_NUM/$CREATED_DB"
    note "PostgreSQL tests use a fresh database: $CREATED_DB"
  elif [ "${CI:-}" = "true" ]; then
    echo "error: no PostgreSQL answers on $PGHOST_ADDR:$PGPORT_NUM and none could be started" >&2
    exit 1
  else
    note "no PostgreSQL: the PostgreSQL half of the integration tests will be skipped"
  fi
fi

if [ ! -x /usr/bin/chromium ]; then
  note "installing Debian's Chromium for the browser tests"
  { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
    || { [ "${CI:-}" = "true" ] && { echo "error: could not install chromium" >&2; exit 1; }; note "no Chromium: browser tests will be skipped"; }
fi

note "auditing the pinned dependencies for known vulnerabilities (pip-audit)"
# Fails on a known vulnerability; says loudly when the advisory services cannot be reached.
# Under CI, set WORKBENCH_AUDIT_REQUIRED=true to make an audit that could not run an error.
# The suite runs either way; a failed audit fails the run at the end.
AUDIT_STATUS=0
"$BIN/python" scripts/audit_deps.py || AUDIT_STATUS=$?

mkdir -p test-artifacts
note "running the test suite"
# Two workers for two cores; --dist loadfile keeps a module's slow fixtures in one worker.
"$BIN/pytest" -n 2 --dist loadfile "$@"
if [ "$AUDIT_STATUS" != 0 ]; then
  echo "error: the dependency audit failed (see its report above)" >&2
  exit "$AUDIT_STATUS"
fi
