# shellcheck shell=bash
# A throwaway PostgreSQL server for the demo and the benchmarks. Source this file, then:
#
#   pg_tmp_start [NAME=VALUE ...]   initdb into a fresh temporary directory and start the server;
#                                   each NAME=VALUE is a server setting (postgres -c)
#   pg_tmp_stop                     stop it and remove its directory (also runs on exit)
#   pg_sql DB SQL                   run SQL with psql (-X -q -At, stop on the first error)
#   dbb_at_exit 'COMMAND'           run COMMAND when the script exits (last added runs first)
#
# The server listens on a Unix socket in its own directory only (no TCP), so it never collides
# with another server on this machine. Authentication is trust; the superuser is "postgres".
# Durability settings are PostgreSQL's defaults (fsync, full_page_writes and synchronous_commit
# on): pass synchronous_commit=off to pg_tmp_start where losing the last commits on a crash is
# fine. When run as root, initdb and the server run as the `postgres` OS user (PostgreSQL refuses
# root).
#
# After pg_tmp_start these are exported for dbbackup and the client tools:
#   PGHOST (the socket directory), PGPORT, PGUSER=postgres, PATH (the server's bin first);
#   PG_TMP_BIN, PG_TMP_DIR (the temporary directory), PG_TMP_LOG (the server log).
# Environment: PG_BIN picks the bin directory (default: the newest /usr/lib/postgresql/*/bin);
# TMPDIR the parent of the temporary directory (default /var/tmp); PG_TMP_KEEP=1 keeps the
# directory after stopping (for reading the log).

# ---- exit handlers: one EXIT trap running a list, so callers and this file can both add to it
_dbb_exit_cmds=()
_dbb_run_exit_cmds() {
  local rc=$? i
  set +e
  for ((i = ${#_dbb_exit_cmds[@]} - 1; i >= 0; i--)); do
    eval "${_dbb_exit_cmds[$i]}"
  done
  _dbb_exit_cmds=()
  return "$rc"
}
dbb_at_exit() {
  _dbb_exit_cmds+=("$1")
  trap _dbb_run_exit_cmds EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# ---- the server
pg_find_bin() {  # prints the bin directory holding initdb, pg_ctl, postgres
  local dir
  if [ -n "${PG_BIN:-}" ]; then
    dir=$PG_BIN
  else
    dir=$(printf "%s\n" /usr/lib/postgresql/*/bin | sort -V | tail -1)
  fi
  if [ -z "$dir" ] || [ ! -x "$dir/initdb" ] || [ ! -x "$dir/pg_ctl" ]; then
    echo "pg.sh: no PostgreSQL server found (looked for" \
         "${PG_BIN:-/usr/lib/postgresql/*/bin}/initdb); install it with:" \
         "apt-get install postgresql-15 (scripts/install-deps.sh does)" >&2
    return 1
  fi
  echo "$dir"
}

_pg_as_owner() {  # runs a command as the server's OS user
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# shellcheck disable=SC2120  # settings are optional
pg_tmp_start() {
  if [ -n "${_pg_tmp_started:-}" ]; then
    echo "pg.sh: this script already started a server, in $PG_TMP_DIR" >&2
    return 1
  fi
  local bin port=${PG_TMP_PORT:-55432} setting
  for setting in "$@"; do
    case $setting in
      ?*=*) ;;
      *) echo "pg.sh: pg_tmp_start: expected NAME=VALUE, got '$setting'" >&2; return 1 ;;
    esac
  done
  bin=$(pg_find_bin) || return 1
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    echo "pg.sh: running as root needs the 'postgres' OS user (the postgresql-15 package" \
         "creates it; or: adduser --system --group postgres)" >&2
    return 1
  fi
  PG_TMP_DIR=$(mktemp -d "${TMPDIR:-/var/tmp}/dbbackup-pg.XXXXXX")
  _pg_tmp_started=1
  PG_TMP_BIN=$bin
  PG_TMP_LOG=$PG_TMP_DIR/server.log
  export PG_TMP_DIR PG_TMP_BIN PG_TMP_LOG
  dbb_at_exit pg_tmp_stop
  mkdir "$PG_TMP_DIR/socket"
  if [ "$(id -u)" -eq 0 ]; then
    chown -R postgres: "$PG_TMP_DIR"
    if ! runuser -u postgres -- test -w "$PG_TMP_DIR"; then
      echo "pg.sh: user postgres cannot write to $PG_TMP_DIR; set TMPDIR to a directory it can" \
           "reach (the default is /var/tmp)" >&2
      return 1
    fi
  fi
  if ! _pg_as_owner "$bin/initdb" -D "$PG_TMP_DIR/data" -U postgres -A trust -E UTF8 \
      --locale=C.UTF-8 --no-instructions >"$PG_TMP_DIR/initdb.log" 2>&1; then
    echo "pg.sh: initdb failed:" >&2
    tail -20 "$PG_TMP_DIR/initdb.log" >&2
    return 1
  fi
  {
    echo "# pg.sh: a throwaway server"
    echo "listen_addresses = ''"
    echo "port = $port"
    echo "unix_socket_directories = '$PG_TMP_DIR/socket'"
    echo "max_wal_size = 4GB"          # fewer checkpoints during loads; not a durability setting
    for setting in "$@"; do echo "${setting%%=*} = '${setting#*=}'"; done
  } | _pg_as_owner tee -a "$PG_TMP_DIR/data/postgresql.conf" >/dev/null
  if ! _pg_as_owner "$bin/pg_ctl" -D "$PG_TMP_DIR/data" -l "$PG_TMP_LOG" -w -t 120 start \
      >/dev/null; then
    echo "pg.sh: the server did not start; the end of $PG_TMP_LOG:" >&2
    tail -20 "$PG_TMP_LOG" >&2
    return 1
  fi
  export PGHOST=$PG_TMP_DIR/socket PGPORT=$port PGUSER=postgres PGDATABASE=postgres
  unset PGHOSTADDR PGSERVICE PGPASSWORD PGSSLMODE PGOPTIONS
  export PATH="$bin:$PATH"
  local version
  version=$(pg_sql postgres 'SHOW server_version') || return 1
  echo "pg.sh: PostgreSQL $version running in $PG_TMP_DIR (socket $PGHOST, port $PGPORT)" >&2
}

pg_tmp_stop() {
  [ -n "${_pg_tmp_started:-}" ] || return 0
  local dir=$PG_TMP_DIR pid
  if [ -f "$dir/data/postmaster.pid" ]; then
    if ! _pg_as_owner "$PG_TMP_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1
    then
      pid=$(head -1 "$dir/data/postmaster.pid" 2>/dev/null || true)
      if [ -n "$pid" ]; then
        echo "pg.sh: pg_ctl stop failed; sending SIGQUIT to the postmaster ($pid)" >&2
        kill -QUIT "$pid" 2>/dev/null || true
        sleep 2
      fi
    fi
  fi
  if [ "${PG_TMP_KEEP:-0}" = 1 ]; then
    echo "pg.sh: server stopped; kept $dir (log: $dir/server.log)" >&2
  else
    rm -rf "$dir"
  fi
  unset _pg_tmp_started PG_TMP_DIR
}

pg_sql() {  # pg_sql DB SQL: runs SQL, prints unaligned tuples-only output
  local db=$1
  shift
  psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" -c "$*"
}
