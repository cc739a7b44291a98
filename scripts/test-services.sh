# Sourced by scripts/test.sh: starts the services the test suite needs and stops them on exit.
#
# PostgreSQL: a throwaway server for the PostgreSQL store's tests — a fresh data directory in a temp dir,
# initdb'd as an unprivileged user (`chatkit-pg`, created when running as root, since postgres refuses to run
# as root), listening on 127.0.0.1 only, on a free port, with trust authentication for loopback. Exports
#   CHATKIT_TEST_PG="host=127.0.0.1 port=<port> user=postgres dbname=postgres"
# and stops the server and removes its directory when the sourcing shell exits. If CHATKIT_TEST_PG is already
# set (a server the caller provides), nothing is started.

chatkit_pg_start() {
  local bindir="" candidate
  for candidate in /usr/lib/postgresql/*/bin; do
    [ -x "$candidate/initdb" ] && bindir="$candidate"
  done
  if [ -z "$bindir" ]; then
    echo "test-services: PostgreSQL server binaries not found (install the 'postgresql' package); PostgreSQL tests will not run" >&2
    return 0
  fi

  local run_as=()
  if [ "$(id -u)" -eq 0 ]; then
    if ! id chatkit-pg >/dev/null 2>&1; then
      useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin chatkit-pg
    fi
    run_as=(runuser -u chatkit-pg --)
  fi

  CHATKIT_PG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/chatkit-pg.XXXXXX")"
  chmod 755 "$CHATKIT_PG_DIR"
  mkdir "$CHATKIT_PG_DIR/data" "$CHATKIT_PG_DIR/socket"
  [ "$(id -u)" -eq 0 ] && chown -R chatkit-pg "$CHATKIT_PG_DIR"

  if ! "${run_as[@]}" "$bindir/initdb" -D "$CHATKIT_PG_DIR/data" -U postgres --auth=trust --encoding=UTF8 \
      --locale=C.UTF-8 >"$CHATKIT_PG_DIR/initdb.log" 2>&1; then
    echo "test-services: initdb failed:" >&2
    cat "$CHATKIT_PG_DIR/initdb.log" >&2
    return 1
  fi

  # A free port: try random ones until the server starts (another process may take a port between a check
  # and the bind, so the start itself is the test).
  local port attempt
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    port=$(( 20000 + (RANDOM % 20000) ))
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi  # something already listens
    if "${run_as[@]}" "$bindir/pg_ctl" -D "$CHATKIT_PG_DIR/data" -l "$CHATKIT_PG_DIR/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $CHATKIT_PG_DIR/socket -c fsync=off -c max_connections=200" \
        start >/dev/null 2>&1; then
      CHATKIT_PG_PORT=$port
      CHATKIT_PG_BIN=$bindir
      CHATKIT_PG_RUN_AS="${run_as[*]}"
      export CHATKIT_TEST_PG="host=127.0.0.1 port=$port user=postgres dbname=postgres"
      echo "test-services: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
      return 0
    fi
  done
  echo "test-services: PostgreSQL did not start:" >&2
  cat "$CHATKIT_PG_DIR/server.log" >&2 2>/dev/null
  return 1
}

chatkit_pg_stop() {
  if [ -n "${CHATKIT_PG_PORT:-}" ]; then
    # shellcheck disable=SC2086
    $CHATKIT_PG_RUN_AS "$CHATKIT_PG_BIN/pg_ctl" -D "$CHATKIT_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    CHATKIT_PG_PORT=""
  fi
  if [ -n "${CHATKIT_PG_DIR:-}" ]; then
    rm -rf "$CHATKIT_PG_DIR"
    CHATKIT_PG_DIR=""
  fi
}

if [ -z "${CHATKIT_TEST_PG:-}" ]; then
  trap chatkit_pg_stop EXIT
  chatkit_pg_start
fi
