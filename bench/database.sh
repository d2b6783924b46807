# Sourced by the benchmark scripts: the backend under measure.
#   BENCH_DATABASE=sqlite (default): SQLite in each data directory.
#   BENCH_DATABASE=postgres: a durable PostgreSQL 15 server started for the run
#     (scripts/postgres-test-server --durable: fsync and synchronous commit on, as in
#     production), one database per data directory. BENCH_PG_LOG=file keeps the server's log
#     (serialization failures show there as "could not serialize access").
bench_db_start() {
  pgdir="" pgconn=""
  if [ "${BENCH_DATABASE:-sqlite}" = postgres ]; then
    pgdir=$(mktemp -d /tmp/carnet-pg.XXXXXX)
    pgconn=$(scripts/postgres-test-server start "$pgdir" --durable)
  fi
}
bench_db_stop() {
  if [ -n "${pgdir:-}" ]; then [ -n "${BENCH_PG_LOG:-}" ] && cp "$pgdir/server.log" "$BENCH_PG_LOG"; scripts/postgres-test-server stop "$pgdir"; pgdir=""; fi
}
# Exports CARNET_DATABASE for carnet, carnetd and the bench tools on data directory $1.
bench_db_for() {
  if [ -n "${pgconn:-}" ]; then
    local name
    name=carnet_b_$(printf '%s' "$1" | md5sum | cut -c1-12)
    psql -X -q "$pgconn dbname=postgres" -c "CREATE DATABASE $name" > /dev/null 2>&1 || true
    export CARNET_DATABASE="$pgconn dbname=$name"
  else
    unset CARNET_DATABASE
  fi
}
# One SQL statement on data directory $1's database; prints the rows.
bench_sql() {
  if [ -n "${CARNET_DATABASE:-}" ]; then
    psql -X -q -A -t "$CARNET_DATABASE" -c "$2"
  else
    sqlite3 -cmd '.timeout 5000' "$1/carnet.db" "$2"
  fi
}
