# Sourced by the benchmark scripts: carnetd under test, the demo holder's and a professional's
# bearer tokens, wrk measurements, and the results file bench/report reads.
. bench/database.sh

# Starts carnetd on data directory $1 (extra flags: CARNETD_ARGS and $2...); sets pid, port.
# Log level BENCH_LOG_LEVEL (default warn); the log goes to BENCH_LOG (default a file).
bench_start() {
  local dir=$1
  shift
  # Emptied here, not by the redirection below: that one happens in the background child,
  # maybe after the loop has read the previous carnetd's port.
  : > "$work/carnetd.out"
  ./build/carnetd --port 0 --data-dir "$dir" --web-root web/dist --log-level "${BENCH_LOG_LEVEL:-warn}" "$@" ${CARNETD_ARGS:-} \
    > "$work/carnetd.out" 2> "${BENCH_LOG:-$work/carnetd.err}" &
  pid=$!
  for _ in $(seq 200); do grep -q 'listening on' "$work/carnetd.out" 2>/dev/null && break; sleep 0.05; done
  port=$(sed -nE 's/.*listening on .*:([0-9]+)$/\1/p' "$work/carnetd.out" | head -1)
  [ -n "$port" ] || { echo "bench: carnetd did not start" >&2; cat "${BENCH_LOG:-$work/carnetd.err}" >&2; exit 1; }
}
bench_stop() { if [ -n "${pid:-}" ]; then kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""; fi; }

# Signs a demo account in (password, then the e-mailed one-time code) -> bearer token. By
# default the demo holder Jean.
bench_sign_in() {  # data dir [login password]
  local login=${2:-jean.dupont@demo.carnet} password=${3:-Velo-Rouge-Montagne-26} challenge code
  challenge=$(curl -sf "http://127.0.0.1:$port/api/v1/sign-in" -H 'Content-Type: application/json' \
    -d "{\"login\":\"$login\",\"password\":\"$password\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["challenge_id"])')
  for _ in $(seq 50); do
    code=$(python3 -c '
import json, sys
codes = [json.loads(l)["params"]["code"] for l in open(sys.argv[1])
         if json.loads(l).get("template") == "one_time_code" and json.loads(l).get("to") == sys.argv[2]]
print(codes[-1] if codes else "")' "$1/notices.jsonl" "$login" 2>/dev/null || true)
    [ -n "$code" ] && break
    sleep 0.1
  done
  curl -sf "http://127.0.0.1:$port/api/v1/sign-in/verify" -H 'Content-Type: application/json' \
    -d "{\"challenge_id\":\"$challenge\",\"code\":\"$code\",\"session\":\"bearer\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

bench_space() {  # token -> the holder's space id
  curl -sf "http://127.0.0.1:$port/api/v1/me" -H "Authorization: Bearer $1" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["space_id"])'
}

# The demo data set's nurse (an account with e-mailed codes, see src/main/demo.cpp) signed
# in, after joining the space's care team -> bearer token.
bench_professional() {  # data dir, space -> bearer token
  local pro
  pro=$(bench_sign_in "$1" julie.leroy@demo.carnet Seringue-Jaune-Rhone-26)
  curl -sf -X POST "http://127.0.0.1:$port/api/v1/care/spaces/$2/care-team" -H "Authorization: Bearer $pro" > /dev/null
  echo "$pro"
}

# wrk, one thread, on 127.0.0.1 -> "req/s p50 p99" (latencies as wrk prints them).
# Refuses a run with non-2xx answers. Extra wrk arguments after the first three (e.g. -s x.lua).
bench_wrk() {  # url conns token [wrk args...]
  local url=$1 conns=$2 tok=$3 out auth=()
  shift 3
  [ -n "$tok" ] && auth=(-H "Authorization: Bearer $tok")
  out=$(TOKEN=$tok wrk -t1 -c"$conns" -d"${duration:-5s}" --timeout 30s --latency "${auth[@]}" "$@" "$url")
  if grep -q 'Non-2xx' <<<"$out"; then echo "bench: non-2xx answers for $url" >&2; echo "$out" >&2; exit 1; fi
  echo "$(awk '/Requests\/sec/ {print $2}' <<<"$out") $(awk '$1=="50%" {print $2}' <<<"$out") $(awk '$1=="99%" {print $2}' <<<"$out")"
}

# wrk latency ("1.23ms", "850.00us", "1.02s") -> milliseconds.
bench_ms() {
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}

# One figure for bench/report: scenario, name, value (on the backend under measure).
bench_result() {
  [ -n "${BENCH_RESULTS:-}" ] && printf '%s\t%s\t%s\t%s\n' "$1" "${BENCH_DATABASE:-sqlite}" "$2" "$3" >> "$BENCH_RESULTS"
  return 0
}
# The three figures of a bench_wrk answer: <name>_rps, <name>_p50_ms, <name>_p99_ms.
bench_result_wrk() {  # scenario name "rps p50 p99"
  local rps p50 p99
  read -r rps p50 p99 <<<"$3"
  bench_result "$1" "$2_rps" "$rps"
  bench_result "$1" "$2_p50_ms" "$(bench_ms "$p50")"
  bench_result "$1" "$2_p99_ms" "$(bench_ms "$p99")"
}

# Busy CPU time of the whole machine so far, in milliseconds (all cores; /proc/stat).
bench_cpu_busy_ms() {
  awk -v hz="$(getconf CLK_TCK)" '$1 == "cpu" {print int(($2 + $3 + $4 + $7 + $8) * 1000 / hz)}' /proc/stat
}
