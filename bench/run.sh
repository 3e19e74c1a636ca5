#!/usr/bin/env bash
# The bank-workload benchmark (bench/README.md): starts a throwaway PostgreSQL 15 (fsync on, TCP
# loopback, deadlock_timeout lowered to 100 ms) and measures, alternating within each repetition,
# roachrun's bank.workload step in each protocol, pgbench running bench/pgbench-transfer.sql and
# bench/bare_bank.c in each protocol -- under the tutorial's retry policy and pgbench's; then the
# same at many clients (BENCH_SCALE_CLIENTS) and through a delay proxy (bench/delay_proxy.c: the
# latency-bound cell). Prints a table of median transfers/s, ratios, retries, failures, client
# CPU per transfer and peak RSS, then checks the targets of issues 6 and 17. The table also goes
# to $BENCH_OUT.
#
# Knobs (environment):
#   BENCH_SECONDS=5            time box of each measured run
#   BENCH_REPS=3               repetitions (the table shows medians)
#   BENCH_CLIENTS="1 8"        client counts
#   BENCH_SCALE_CLIENTS="8 64 256"  client counts of the scale cells (pgbench policy, 1000 accounts; "" skips)
#   BENCH_DELAY_MS=1           the delay proxy's delay each way in the latency cell (0 skips it)
#   BENCH_DELAY_CLIENTS=8      connections in the latency cell
#   BENCH_ACCOUNTS="2 1000"    account counts (2: maximum contention)
#   BENCH_POLICIES="tutorial pgbench"   retry policies
#   BENCH_PROGRAMS="roachrun pgbench bare"
#   BENCH_PROTOCOLS="tutorial pipeline single"   (pgbench only runs the tutorial's transaction)
#   BENCH_AMOUNT=10            transfers move a random amount in [1, BENCH_AMOUNT]
#   BENCH_STARTUP_RUNS=20      runs of the start-up measurement (0: skip)
#   BENCH_GROWTH=1             the memory-growth check (0: skip); BENCH_GROWTH_PROTOCOL=single
#   BENCH_PGBENCH_JOBS         pgbench -j (default: min(clients, cores))
#   BENCH_BUILD=1              0: use what is in the build directory as it is
#   BENCH_OUT=build/bench/latest.txt
#   ROACHRUN_BUILD_DIR=build
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

BENCH_SECONDS=${BENCH_SECONDS:-5}
BENCH_REPS=${BENCH_REPS:-3}
BENCH_CLIENTS=${BENCH_CLIENTS:-"1 8"}
BENCH_SCALE_CLIENTS=${BENCH_SCALE_CLIENTS-"8 64 256"}
BENCH_DELAY_MS=${BENCH_DELAY_MS:-1}
BENCH_DELAY_CLIENTS=${BENCH_DELAY_CLIENTS:-8}
BENCH_ACCOUNTS=${BENCH_ACCOUNTS:-"2 1000"}
BENCH_POLICIES=${BENCH_POLICIES:-"tutorial pgbench"}
BENCH_PROGRAMS=${BENCH_PROGRAMS:-"roachrun pgbench bare"}
BENCH_PROTOCOLS=${BENCH_PROTOCOLS:-"tutorial pipeline single"}
BENCH_AMOUNT=${BENCH_AMOUNT:-10}
BENCH_STARTUP_RUNS=${BENCH_STARTUP_RUNS:-20}
BENCH_GROWTH=${BENCH_GROWTH:-1}
BENCH_GROWTH_PROTOCOL=${BENCH_GROWTH_PROTOCOL:-single}
BENCH_PGBENCH_JOBS=${BENCH_PGBENCH_JOBS:-}
BENCH_BUILD=${BENCH_BUILD:-1}
BENCH_OUT=${BENCH_OUT:-build/bench/latest.txt}
build_dir=${ROACHRUN_BUILD_DIR:-build}
pg_bindir=${BENCH_PG_BINDIR:-/usr/lib/postgresql/15/bin}

say() { echo "bench: $*" >&2; }
fail() { say "$*"; exit 1; }

for v in BENCH_SECONDS BENCH_REPS BENCH_AMOUNT BENCH_STARTUP_RUNS; do
  [[ ${!v} =~ ^[0-9]+$ ]] || fail "$v must be a whole number, got '${!v}'"
done
[ "$BENCH_SECONDS" -ge 1 ] && [ "$BENCH_REPS" -ge 1 ] || fail "BENCH_SECONDS and BENCH_REPS must be at least 1"
for c in $BENCH_CLIENTS $BENCH_SCALE_CLIENTS $BENCH_DELAY_CLIENTS; do
  [[ $c =~ ^[1-9][0-9]*$ ]] || fail "BENCH_CLIENTS, BENCH_SCALE_CLIENTS, BENCH_DELAY_CLIENTS: '$c' is not a client count"
done
[[ $BENCH_DELAY_MS =~ ^[0-9]+(\.[0-9]+)?$ ]] || fail "BENCH_DELAY_MS must be a number of milliseconds, got '$BENCH_DELAY_MS'"
[[ $BENCH_DELAY_MS =~ [1-9] ]] || BENCH_DELAY_MS=0  # 0.0 is 0: no latency cell
for a in $BENCH_ACCOUNTS; do [[ $a =~ ^[0-9]+$ ]] && [ "$a" -ge 2 ] || fail "BENCH_ACCOUNTS: '$a' is not a count >= 2"; done
for p in $BENCH_POLICIES; do [[ $p == tutorial || $p == pgbench ]] || fail "BENCH_POLICIES: '$p' (tutorial or pgbench)"; done
for p in $BENCH_PROGRAMS; do [[ $p =~ ^(roachrun|pgbench|bare)$ ]] || fail "BENCH_PROGRAMS: '$p' (roachrun, pgbench, bare)"; done
for p in $BENCH_PROTOCOLS $BENCH_GROWTH_PROTOCOL; do
  [[ $p =~ ^(tutorial|pipeline|single)$ ]] || fail "BENCH_PROTOCOLS: '$p' (tutorial, pipeline, single)"
done

# ---- what it needs (jq and time included) --------------------------------------------------------
scripts/bootstrap.sh

if [ "$BENCH_BUILD" != 0 ]; then
  say "building roachrun_bundle, roachrun_bare_bank and roachrun_delay_proxy"
  ROACHRUN_BUILD_DIR=$build_dir scripts/build.sh --target roachrun_bundle roachrun_bare_bank roachrun_delay_proxy
fi
case $build_dir in /*) bin_dir=$build_dir/bin ;; *) bin_dir=$repo/$build_dir/bin ;; esac
roachrun=$bin_dir/roachrun
bare=$bin_dir/roachrun_bare_bank
delay_proxy=$bin_dir/roachrun_delay_proxy
pgbench=$pg_bindir/pgbench
[ -x "$pgbench" ] || pgbench=$(command -v pgbench || true)
[ -x "$bare" ] || fail "$bare is missing (build the target roachrun_bare_bank)"
[ -x "$roachrun" ] || fail "$roachrun is missing (build the target roachrun_bundle)"
[ "$BENCH_DELAY_MS" = 0 ] || [ -x "$delay_proxy" ] || fail "$delay_proxy is missing (build the target roachrun_delay_proxy)"
[ -n "$pgbench" ] || fail "pgbench not found (postgresql-client-15)"
[ -x "$pg_bindir/initdb" ] || fail "$pg_bindir/initdb not found (postgresql-15; or set BENCH_PG_BINDIR)"

have_workload=1
plugins_list=$("$roachrun" plugins 2>/dev/null || true)
if ! grep -q '^ *bank\.workload ' <<<"$plugins_list"; then
  have_workload=0
  say "roachrun has no bank.workload step ($roachrun plugins does not list it): roachrun's rows and targets are skipped"
fi
programs=()
for p in $BENCH_PROGRAMS; do
  [ "$p" = roachrun ] && [ $have_workload = 0 ] && continue
  programs+=("$p")
done
[ ${#programs[@]} -gt 0 ] || fail "nothing to measure"

# ---- a throwaway PostgreSQL 15 --------------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/roachrun-bench-XXXXXX")
chmod 755 "$tmp"
# Every roachrun here keeps its plugin cache in the run's directory, not the user's.
export XDG_CACHE_HOME=$tmp/cache
pgdir=$tmp/pg
mkdir "$pgdir"
as_server=()
if [ "$(id -u)" -eq 0 ]; then
  # PostgreSQL refuses to run as root: as the project's local target does, run it as postgres.
  server_user=postgres
  id postgres >/dev/null 2>&1 || server_user=nobody
  chown "$server_user:" "$pgdir"
  as_server=(runuser -u "$server_user" --)
fi
server_started=0
proxy_pid=
cleanup() {
  [ -z "$proxy_pid" ] || kill "$proxy_pid" 2>/dev/null || true
  if [ $server_started = 1 ]; then
    "${as_server[@]}" "$pg_bindir/pg_ctl" -D "$pgdir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"${as_server[@]}" "$pg_bindir/initdb" -D "$pgdir/data" -U root --auth=trust --encoding=UTF8 --locale=C \
  --no-instructions >"$tmp/initdb.log" 2>&1 || { cat "$tmp/initdb.log" >&2; fail "initdb failed"; }

# Room for the most clients any cell runs, and psql beside them -- twice over: SERIALIZABLE's
# tables of read/write conflicts (RWConflictPool) and predicate locks are sized by
# max_connections, and with exactly as many slots as clients, 256 clients exhausted them
# (SQLSTATE 53200, which aborts a pgbench run). The same server serves every program.
max_clients=$(printf '%s\n' $BENCH_CLIENTS $BENCH_SCALE_CLIENTS $BENCH_DELAY_CLIENTS | sort -n | tail -n 1)
max_connections=$((2 * max_clients + 20 > 100 ? 2 * max_clients + 20 : 100))
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for attempt in 1 2 3 4 5 6; do
  port=$((20000 + RANDOM % 40000))
  port_in_use "$port" && continue
  # fsync and synchronous_commit are on (the defaults; stated so nobody wonders). Opposing
  # transfers deadlock, which PostgreSQL notices only after deadlock_timeout (1 s by default):
  # lowered to 100 ms, or the 2-account runs would measure mostly waiting.
  "${as_server[@]}" tee "$pgdir/data/postgresql.auto.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$pgdir'
max_connections = $max_connections
fsync = on
synchronous_commit = on
full_page_writes = on
deadlock_timeout = '100ms'
logging_collector = off
EOF
  if "${as_server[@]}" "$pg_bindir/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w -t 60 start >/dev/null 2>&1; then
    server_started=1
    break
  fi
  grep -q 'Address already in use' "$pgdir/server.log" 2>/dev/null && continue
  tail -n 20 "$pgdir/server.log" >&2 || true
  fail "PostgreSQL did not start"
done
[ $server_started = 1 ] || fail "PostgreSQL did not start (no free port?)"

psql_bench() { psql -X -q -At -h 127.0.0.1 -p "$port" -U root -d "${PSQL_DB:-bench}" "$@"; }
PSQL_DB=postgres psql_bench -c 'CREATE DATABASE bench'
pg_version=$(psql_bench -c 'SHOW server_version')
settings=$(psql_bench -c "SELECT string_agg(n || '=' || current_setting(n), ', ')
  FROM unnest(ARRAY['fsync', 'synchronous_commit', 'deadlock_timeout', 'max_connections', 'shared_buffers']) n")
say "PostgreSQL $pg_version on 127.0.0.1:$port (TCP loopback), data in $pgdir/data"
say "deadlock_timeout LOWERED from 1s (the default) to 100ms so that deadlocks between opposing transfers are detected quickly; fsync on"
say "server settings: $settings"

conninfo="host=127.0.0.1 port=$port user=root dbname=bench sslmode=disable"
url="postgresql://root@127.0.0.1:$port/bench?sslmode=disable"
ncores=$(nproc)
# The port the measured programs connect to: the server's, or the delay proxy's in the latency cell.
# Set-up, checkpoints and audits always go to the server directly.
via_port=$port
delay_ms=0

# ---- one measured run -----------------------------------------------------------------------------
results=$tmp/results.jsonl
: >"$results"

policy_retries() { [ "$1" = tutorial ] && echo 3 || echo 9; }
policy_backoff_ms() { [ "$1" = tutorial ] && echo 100 || echo 0; }

setup_accounts() { "$bare" --conninfo "$conninfo" --setup --duration 0 --accounts "$1" 2>/dev/null; }

# Total conserved, none negative: the invariant every program must keep.
audit_ok() {
  local row
  row=$(psql_bench -c "SELECT count(*) = $1 AND sum(balance) = $1 * 1000 AND count(*) FILTER (WHERE balance < 0) = 0 FROM accounts")
  [ "$row" = t ] && echo true || echo false
}

# /usr/bin/time -f '%M %U %S' writes "peak-RSS-kB user-s sys-s" on its last line (after a
# "Command exited with non-zero status" line when it did). The CPU is the measured process's
# alone: user and system time of the client, its threads and children, none of the server's.
time_format='%M %U %S'
peak_rss_kb() { tail -n 1 "$1" 2>/dev/null | awk '$1 ~ /^[0-9]+$/ { print $1; exit } END { if (NR == 0 || $1 !~ /^[0-9]+$/) print "null" }' | head -n 1; }
cpu_seconds() { tail -n 1 "$1" 2>/dev/null | awk 'NF == 3 && $2 ~ /^[0-9.]+$/ { printf "%.3f\n", $2 + $3; ok = 1 } END { if (!ok) print "null" }'; }

# Writes the scenario of a roachrun workload run to $1. Protocol "pipeline8": the pipeline with 8
# transfers in flight per connection (in_flight: 8), measured in the latency-bound cell.
workload_scenario() { # file policy accounts clients protocol seconds engine
  local protocol=$5 in_flight=1 engine=${7:-events}
  [ "$protocol" != pipeline8 ] || { protocol=pipeline; in_flight=8; }
  cat >"$1" <<EOF
scenario: bench-workload
target: {url: "postgresql://root@127.0.0.1:$via_port/bench?sslmode=disable"}
connections: {bench: {user: root, database: bench}}
retry: {max_retries: $(policy_retries "$2"), base_backoff: $(policy_backoff_ms "$2")ms, max_backoff: 10s}
steps:
  - name: workload
    bank.workload: {protocol: $protocol, in_flight: $in_flight, engine: $engine, clients: $4, accounts: $3, amount: $BENCH_AMOUNT, duration: ${6}s}
EOF
}

# run_one policy accounts clients program protocol rep seconds -> appends a JSON line to $results
# and echoes it.
run_one() {
  local policy=$1 accounts=$2 clients=$3 program=$4 protocol=$5 rep=$6 seconds=$7
  local out=$tmp/out err=$tmp/err rss=$tmp/rss rc=0 tps=null retries=null failures=null audit=null committed=null error=""
  local retries_n backoff_ms
  retries_n=$(policy_retries "$policy")
  backoff_ms=$(policy_backoff_ms "$policy")
  rm -f "$out" "$err" "$rss"
  case $program in
    roachrun | roachrun-threads)  # roachrun-threads: the same step on one thread per client (engine: threads)
      workload_scenario "$tmp/workload.yaml" "$policy" "$accounts" "$clients" "$protocol" "$seconds" \
        "$([ "$program" = roachrun ] && echo events || echo threads)"
      psql_bench -c CHECKPOINT
      /usr/bin/time -f "$time_format" -o "$rss" "$roachrun" run -q --report "json=$tmp/report.json" "$tmp/workload.yaml" \
        >"$out" 2>"$err" || rc=$?
      if [ -s "$tmp/report.json" ] && jq -e '.scenarios[0].steps[0].result.transfers_per_second' "$tmp/report.json" >/dev/null 2>&1; then
        read -r tps committed retries failures audit < <(jq -r '.scenarios[0].steps[0].result |
          [.transfers_per_second, .committed, .retries, .failures, (.audit.ok // null)] | map(tostring) | join(" ")' "$tmp/report.json")
      fi
      [ $rc = 0 ] || error=$(jq -r '.scenarios[0].steps[0].error.message // .error // empty' "$tmp/report.json" 2>/dev/null | head -c 300)
      rm -f "$tmp/report.json"
      ;;
    pgbench)
      setup_accounts "$accounts"
      psql_bench -c CHECKPOINT
      local jobs=${BENCH_PGBENCH_JOBS:-$((clients < ncores ? clients : ncores))}
      /usr/bin/time -f "$time_format" -o "$rss" "$pgbench" -n -M prepared --max-tries=$((retries_n + 1)) -T "$seconds" \
        -c "$clients" -j "$jobs" -D "accounts=$accounts" -D "amount=$BENCH_AMOUNT" -f "$repo/bench/pgbench-transfer.sql" \
        -h 127.0.0.1 -p "$via_port" -U root bench >"$out" 2>"$err" || rc=$?
      tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$out" | head -n 1)
      committed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$out")
      retries=$(sed -n 's/^total number of retries: \([0-9]*\).*/\1/p' "$out")
      failures=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$out")
      [ -n "$tps" ] || tps=null
      [ -n "$committed" ] || committed=null
      [ -n "$retries" ] || retries=0
      [ -n "$failures" ] || failures=0
      audit=$(audit_ok "$accounts")
      [ $rc = 0 ] || error=$(grep -v '^pgbench: error: client [0-9]* script [0-9]* aborted' "$err" | tail -n 3 | tr '\n' ' ' | head -c 300)
      ;;
    bare)
      setup_accounts "$accounts"
      psql_bench -c CHECKPOINT
      /usr/bin/time -f "$time_format" -o "$rss" "$bare" --conninfo "${conninfo/port=$port/port=$via_port}" --protocol "$protocol" --clients "$clients" \
        --accounts "$accounts" --amount "$BENCH_AMOUNT" --duration "$seconds" --max-retries "$retries_n" \
        --base-backoff-ms "$backoff_ms" --max-backoff-ms 10000 >"$out" 2>"$err" || rc=$?
      if jq -e . "$out" >/dev/null 2>&1; then
        read -r tps committed retries failures < <(jq -r '[.transfers_per_second, .committed, .retries, .failures] | map(tostring) | join(" ")' "$out")
      fi
      audit=$(audit_ok "$accounts")
      [ $rc = 0 ] || error=$(tail -n 3 "$err" | tr '\n' ' ' | head -c 300)
      ;;
  esac
  if [ $rc != 0 ] && [ -z "$error" ]; then error="exit status $rc: $(tail -n 3 "$err" 2>/dev/null | tr '\n' ' ' | head -c 300)"; fi
  jq -nc --arg policy "$policy" --argjson accounts "$accounts" --argjson clients "$clients" --arg program "$program" \
    --arg protocol "$protocol" --argjson rep "$rep" --argjson seconds "$seconds" --argjson tps "$tps" \
    --argjson committed "$committed" --argjson retries "$retries" --argjson failures "$failures" \
    --argjson rss_kb "$(peak_rss_kb "$rss")" --argjson cpu_s "$(cpu_seconds "$rss")" --argjson delay_ms "$delay_ms" \
    --argjson audit_ok "$audit" --argjson rc "$rc" --arg error "$error" \
    '{policy: $policy, accounts: $accounts, clients: $clients, program: $program, protocol: $protocol, rep: $rep,
      seconds: $seconds, tps: $tps, committed: $committed, retries: $retries, failures: $failures, rss_kb: $rss_kb,
      cpu_s: $cpu_s, delay_ms: $delay_ms,
      cpu_per_1000: (if $cpu_s == null or $tps == null or $tps == 0 then null else $cpu_s * 1000 / ($tps * $seconds) end),
      audit_ok: $audit_ok, exit: $rc, error: (if $error == "" then null else $error end)}'
}

# ---- the measurements, alternating --------------------------------------------------------------
# The cells of one (policy, accounts, clients) group, interleaved so that programs alternate; each
# repetition starts one cell later, so no cell always runs first (or right after a given other).
cells=()
for protocol in tutorial pipeline single; do
  [[ " $BENCH_PROTOCOLS " == *" $protocol "* ]] || continue
  for program in "${programs[@]}"; do
    [ "$program" = pgbench ] && continue
    cells+=("$program/$protocol")
  done
  if [ "$protocol" = tutorial ] && [[ " ${programs[*]} " == *" pgbench "* ]]; then cells+=("pgbench/tutorial"); fi
done
if [[ " ${programs[*]} " == *" pgbench "* ]] && [[ " ${cells[*]} " != *" pgbench/tutorial "* ]]; then
  cells+=("pgbench/tutorial") # pgbench runs the tutorial's transaction even when that protocol is not selected
fi
ncells=${#cells[@]}
# The row groups: "policy accounts clients delay-ms". The base grid, then the scale cells (pgbench's
# policy, 1000 accounts, many clients) and the latency-bound cell (through the delay proxy).
groups=()
for policy in $BENCH_POLICIES; do for accounts in $BENCH_ACCOUNTS; do for clients in $BENCH_CLIENTS; do
  groups+=("$policy $accounts $clients 0")
done; done; done
for clients in $BENCH_SCALE_CLIENTS; do
  [[ " ${groups[*]/%/,} " == *" pgbench 1000 $clients 0, "* ]] || groups+=("pgbench 1000 $clients 0")
done
[ "$BENCH_DELAY_MS" = 0 ] || groups+=("pgbench 1000 $BENCH_DELAY_CLIENTS $BENCH_DELAY_MS")
# The latency-bound cell also runs roachrun's pipeline with 8 transfers in flight per connection.
delay_cells=("${cells[@]}")
[[ " ${cells[*]} " != *" roachrun/pipeline "* ]] || delay_cells+=("roachrun/pipeline8")
# The scale cells also run the tutorial on roachrun's thread engine (engine: threads: one thread
# per client) beside the default, the event engine (fibers over epoll): which wins where.
is_scale_group() { # policy accounts clients delay
  [ "$4" = 0 ] && [ "$1 $2" = "pgbench 1000" ] && [[ " $BENCH_SCALE_CLIENTS " == *" $3 "* ]] &&
    [[ " ${cells[*]} " == *" roachrun/tutorial "* ]]
}
# (The delay may be fractional, 0.5: compared as text, never in bash's integer arithmetic.)
if [ "$BENCH_DELAY_MS" = 0 ]; then
  total=$((${#groups[@]} * BENCH_REPS * ncells))
else
  total=$(((${#groups[@]} - 1) * BENCH_REPS * ncells + BENCH_REPS * ${#delay_cells[@]}))
fi
for group in "${groups[@]}"; do
  # shellcheck disable=SC2086
  if is_scale_group $group; then total=$((total + BENCH_REPS)); fi
done
say "measuring ${cells[*]}: $total runs of ${BENCH_SECONDS} s (about $(((total * (BENCH_SECONDS + 1) + 59) / 60)) min)"

# The delay proxy of the latency cell: one thread, epoll, each chunk held for the delay each way.
# It prints its port once it listens; given 5 s to do so.
start_delay_proxy() {
  "$delay_proxy" --upstream "127.0.0.1:$port" --delay-ms "$BENCH_DELAY_MS" >"$tmp/proxy.port" 2>"$tmp/proxy.err" &
  proxy_pid=$!
  for _ in $(seq 1 100); do
    [ -s "$tmp/proxy.port" ] && break
    kill -0 "$proxy_pid" 2>/dev/null || break
    sleep 0.05
  done
  proxy_port=$(head -n 1 "$tmp/proxy.port" 2>/dev/null || true)
  [[ $proxy_port =~ ^[0-9]+$ ]] || fail "the delay proxy did not start: $(head -c 300 "$tmp/proxy.err")"
  say "delay proxy on 127.0.0.1:$proxy_port: $BENCH_DELAY_MS ms each way to the server"
  measure_rtt
}

# The round trip the latency cell actually has, as a ping would see it: pgbench's average latency
# of `SELECT 1` on BENCH_DELAY_CLIENTS connections through the proxy (3 s). It is 2 x the delay
# plus what the rig adds on its own -- the proxy's wake-ups and four loopback hops on cores shared
# with the server, about 0.2 ms on the 2-core VM -- and no program can go below it. The bounds use
# it; the nominal 2 x delay is shown beside them.
rtt_ms=null
measure_rtt() {
  local jobs=$((BENCH_DELAY_CLIENTS < ncores ? BENCH_DELAY_CLIENTS : ncores)) latency
  echo 'SELECT 1;' >"$tmp/select1.sql"
  latency=$("$pgbench" -n -M prepared -T 3 -c "$BENCH_DELAY_CLIENTS" -j "$jobs" -f "$tmp/select1.sql" \
    -h 127.0.0.1 -p "$proxy_port" -U root bench 2>/dev/null | sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p')
  if [[ $latency =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
    rtt_ms=$latency
    say "round trip through the proxy, measured (SELECT 1, $BENCH_DELAY_CLIENTS connections): $rtt_ms ms (nominal $(jq -n "2 * $BENCH_DELAY_MS") ms)"
  else
    say "could not measure the round trip through the proxy: the bounds use the nominal 2 x $BENCH_DELAY_MS ms"
  fi
}

n=0
for group in "${groups[@]}"; do
  read -r policy accounts clients delay <<<"$group"
  group_cells=("${cells[@]}")
  if [ "$delay" != 0 ]; then
    [ -n "$proxy_pid" ] || start_delay_proxy
    via_port=$proxy_port
    group_cells=("${delay_cells[@]}")
  else
    via_port=$port
  fi
  if is_scale_group "$policy" "$accounts" "$clients" "$delay"; then group_cells+=("roachrun-threads/tutorial"); fi
  delay_ms=$delay
  for rep in $(seq 1 "$BENCH_REPS"); do
    for i in $(seq 0 $((${#group_cells[@]} - 1))); do
      cell=${group_cells[$(((i + rep - 1) % ${#group_cells[@]}))]}
      n=$((n + 1))
      line=$(run_one "$policy" "$accounts" "$clients" "${cell%/*}" "${cell#*/}" "$rep" "$BENCH_SECONDS")
      echo "$line" >>"$results"
      say "[$n/$total] $(jq -r '"policy \(.policy), \(.accounts) accounts, \(.clients) clients" +
        (if .delay_ms > 0 then ", \(.delay_ms) ms delay each way" else "" end) + ", \(.program)/\(.protocol): " +
        (if .tps == null then "NO RESULT" else "\(.tps * 10 | round / 10) transfers/s, \(.retries) retries, \(.failures) failures" end) +
        (if .cpu_per_1000 != null then ", client CPU \(.cpu_per_1000 * 1000 | round / 1000) s per 1000" else "" end) +
        (if .audit_ok == false then ", AUDIT FAILED" else "" end) +
        (if .error != null then " -- \(.error)" else "" end)' <<<"$line")"
    done
  done
done
via_port=$port
delay_ms=0

# ---- start-up ------------------------------------------------------------------------------------
# With a plugin cache of its own (XDG_CACHE_HOME, set above): warm, as every run but the first
# meets it (the target), and cold, the cache removed before each run, so that every plugin is
# first examined by roachrun-plugin-scanner (reported).
startup_ms=null
startup_cold_ms=null
startup_how=""
# The median wall time in ms of BENCH_STARTUP_RUNS runs on one transfer; $1, if given, runs
# (untimed) before each.
startup_median() {
  local prepare=${1:-}
  if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 3 --runs "$BENCH_STARTUP_RUNS" ${prepare:+--prepare "$prepare"} \
      --export-json "$tmp/hyperfine.json" "$roachrun run -q $tmp/one-transfer.yaml" >/dev/null 2>&1 || true
    jq '.results[0].median * 1000 | . * 100 | round / 100' "$tmp/hyperfine.json" 2>/dev/null || echo null
    return
  fi
  for _ in 1 2 3; do
    [ -z "$prepare" ] || $prepare
    "$roachrun" run -q "$tmp/one-transfer.yaml" >/dev/null 2>&1 || true
  done
  : >"$tmp/startup.txt"
  for _ in $(seq 1 "$BENCH_STARTUP_RUNS"); do
    [ -z "$prepare" ] || $prepare
    t0=$(date +%s%N)
    "$roachrun" run -q "$tmp/one-transfer.yaml" >/dev/null 2>&1 || true
    t1=$(date +%s%N)
    echo $((t1 - t0)) >>"$tmp/startup.txt"
  done
  jq -s 'sort | (if length % 2 == 1 then .[length / 2 | floor]
    else (.[length / 2 - 1] + .[length / 2]) / 2 end) / 1e6 | . * 100 | round / 100' "$tmp/startup.txt"
}
if [ "$BENCH_STARTUP_RUNS" -gt 0 ]; then
  setup_accounts 1000
  cat >"$tmp/one-transfer.yaml" <<EOF
scenario: bench-startup
target: {url: "$url"}
connections: {bench: {user: root, database: bench}}
steps:
  - name: one transfer
    bank.transfer: {from: 1, to: 2, amount: 1}
EOF
  if ! "$roachrun" run -q "$tmp/one-transfer.yaml" >/dev/null 2>"$tmp/err"; then
    say "the start-up scenario failed: $(head -c 300 "$tmp/err")"
  else
    startup_ms=$(startup_median)
    startup_cold_ms=$(startup_median "rm -rf $XDG_CACHE_HOME")
    if command -v hyperfine >/dev/null; then startup_how="hyperfine, median of $BENCH_STARTUP_RUNS runs"
    else startup_how="bash loop with date +%s%N, median of $BENCH_STARTUP_RUNS runs"; fi
  fi
  [ "$startup_ms" = null ] || say "start-up of roachrun run on one transfer: $startup_ms ms with a warm plugin cache, $startup_cold_ms ms cold ($startup_how)"
fi

# ---- memory growth -------------------------------------------------------------------------------
growth=null
if [ "$BENCH_GROWTH" != 0 ] && [ $have_workload = 1 ]; then
  short=$(run_one pgbench 1000 8 roachrun "$BENCH_GROWTH_PROTOCOL" 1 "$BENCH_SECONDS")
  long=$(run_one pgbench 1000 8 roachrun "$BENCH_GROWTH_PROTOCOL" 1 $((3 * BENCH_SECONDS)))
  growth=$(jq -nc --argjson s "$short" --argjson l "$long" '{protocol: $s.protocol, short: $s, long: $l}')
  say "memory growth: $(jq -r '"\(.short.seconds) s: \(.short.committed) transfers, peak RSS \(.short.rss_kb) kB; \(.long.seconds) s: \(.long.committed) transfers, peak RSS \(.long.rss_kb) kB"' <<<"$growth")"
fi

# ---- the table and the targets ---------------------------------------------------------------------
mkdir -p "$(dirname "$BENCH_OUT")"
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$repo" diff --quiet HEAD 2>/dev/null || commit="$commit (with uncommitted changes)"
cpu=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)

jq -rs --arg policies "$BENCH_POLICIES" --argjson startup "$startup_ms" --argjson startup_cold "$startup_cold_ms" \
  --arg startup_how "$startup_how" \
  --argjson growth "$growth" --argjson have_workload "$have_workload" \
  --arg scale_clients "$BENCH_SCALE_CLIENTS" --argjson delay "$BENCH_DELAY_MS" --argjson delay_clients "$BENCH_DELAY_CLIENTS" \
  --argjson rtt "$rtt_ms" \
  --arg header "roachrun bank-workload benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit
machine: $ncores cores ($cpu), $(uname -sr)
server: PostgreSQL $pg_version, TCP loopback 127.0.0.1, $settings (deadlock_timeout lowered from 1s)
runs: $BENCH_SECONDS s each, median of $BENCH_REPS repetitions, programs alternating within each repetition; amount in [1, $BENCH_AMOUNT], initial balance 1000" '
def median: map(select(. != null)) | sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor]
  else (.[length / 2 - 1] + .[length / 2]) / 2 end;
def lpad($n): tostring | if length >= $n then . else ([range(0; $n - length)] | map(" ") | add) + . end;
def rpad($n): tostring | if length >= $n then . else . + ([range(0; $n - length)] | map(" ") | add) end;
def num($d): if . == null then "-" else (. * pow(10; $d) | round | tostring) as $s
  | if $d == 0 then $s else ([range(0; $d + 1 - ($s | length))] | map("0") | add // "") + $s
    | .[0:length - $d] + "." + .[length - $d:] end end;
def order: {"bare/tutorial": 0, "roachrun/tutorial": 1, "roachrun-threads/tutorial": 1.5, "pgbench/tutorial": 2, "bare/pipeline": 3,
  "roachrun/pipeline": 4, "roachrun/pipeline8": 5, "bare/single": 6, "roachrun/single": 7}[.] // 9;
($policies | split(" ") | map(select(. != ""))) as $porder
| group_by([.policy, .accounts, .clients, .delay_ms, .program, .protocol])
| map({policy: .[0].policy, accounts: .[0].accounts, clients: .[0].clients, delay_ms: .[0].delay_ms, program: .[0].program,
       protocol: .[0].protocol, runs: length, tps: (map(.tps) | median), cpu: (map(.cpu_per_1000) | median),
       by_rep: (map({key: (.rep | tostring), value: .tps}) | from_entries),
       cpu_by_rep: (map({key: (.rep | tostring), value: .cpu_per_1000}) | from_entries), retries: (map(.retries) | median),
       failures: (map(.failures) | median), rss_kb: (map(.rss_kb) | map(select(. != null)) | max),
       audit_failed: (map(select(.audit_ok == false)) | length), errors: (map(.error | select(. != null)) | unique)})
| . as $rows
| def find($p; $a; $c; $d; $prog; $proto): first($rows[] | select(.policy == $p and .accounts == $a and .clients == $c
    and .delay_ms == $d and .program == $prog and .protocol == $proto)) // null;
  # Paired: within each repetition the two ran minutes apart at most, so the machine drifts less
  # between them than across the run; the ratio is the median of the per-repetition ratios.
  def paired($x; $y; $field): if $x == null or $y == null then null
    else [$x[$field] | keys[] as $k | select($x[$field][$k] != null and ($y[$field][$k] // 0) > 0)
          | $x[$field][$k] / $y[$field][$k]] | median end;
  def ratio($x; $y): paired($x; $y; "by_rep");
  map(. as $r | . + {vs_bare: (if $r.program == "bare" then null
                              else ratio($r; find($r.policy; $r.accounts; $r.clients; $r.delay_ms; "bare"; $r.protocol)) end),
                     vs_pgbench: (if $r.program == "pgbench" then null
                              else ratio($r; find($r.policy; $r.accounts; $r.clients; $r.delay_ms; "pgbench"; "tutorial")) end)})
| sort_by(. as $r | [$r.delay_ms, ($porder + ["pgbench"] | index($r.policy)), $r.accounts, $r.clients, ("\($r.program)/\($r.protocol)" | order)])
| . as $rows
| def row($p; $a; $c; $d; $prog; $proto): first($rows[] | select(.policy == $p and .accounts == $a and .clients == $c
    and .delay_ms == $d and .program == $prog and .protocol == $proto)) // null;
  def row($p; $a; $c; $prog; $proto): row($p; $a; $c; 0; $prog; $proto);
  # The round trips of one transfer in each protocol (pgbench: BEGIN, SELECT, UPDATE, UPDATE, END).
  def round_trips: {"tutorial": 5, "pipeline": 2, "single": 1, "pipeline8": 0.125}[.];
  # What N connections can do at most when every round trip costs the measured round trip ($rtt
  # ms; 2 x the delay when it was not measured), or exactly 2 x the delay (nominal).
  def bound_at($r; $round_trip_ms): $r.clients / (($r.protocol | round_trips) * $round_trip_ms / 1000);
  def nominal_bound($r): bound_at($r; 2 * $r.delay_ms);
  def bound($r): bound_at($r; $rtt // (2 * $r.delay_ms));
  def check($name; $value; $ok; $detail):
    (if $value == null then "n/a " elif $ok then "PASS" else "FAIL" end) + "  " + $name + "  " + $detail;
  def vs($x; $y; $min; $name):
    ratio($x; $y) as $q
    | check($name + " >= " + ($min | tostring) + "x";
            $q; ($q // 0) >= $min;
            if $q == null then "(not measured" + (if $have_workload == 0 then ": roachrun has no bank.workload step" else "" end) + ")"
            else "(\($q | num(2))x, median of paired runs; medians \($x.tps | num(0)) vs \($y.tps | num(0)) transfers/s)" end);
  $header, "",
  ([("policy" | rpad(9)), ("accounts" | lpad(8)), ("clients" | lpad(7)), ("  " + ("program/protocol" | rpad(18))),
    ("transfers/s" | lpad(11)), ("vs bare" | lpad(8)), ("vs pgbench" | lpad(10)), ("retries" | lpad(8)),
    ("failures" | lpad(8)), ("CPU s/1k" | lpad(8)), ("peak RSS MB" | lpad(11))] | join(" ")),
  ($rows[] | select(.delay_ms == 0) | . as $r | ([(.policy | rpad(9)), (.accounts | lpad(8)), (.clients | lpad(7)),
    "  " + ("\(.program)/\(.protocol)" | rpad(18)), (.tps | num(1) | lpad(11)), (.vs_bare | num(2) | lpad(8)),
    (.vs_pgbench | num(2) | lpad(10)), (.retries | num(0) | lpad(8)), (.failures | num(0) | lpad(8)),
    (.cpu | num(3) | lpad(8)), ((if .rss_kb == null then null else .rss_kb / 1024 end) | num(1) | lpad(11))] | join(" "))
    + (if $r.audit_failed > 0 then "  AUDIT FAILED in \($r.audit_failed) run(s)" else "" end)
    + (if ($r.errors | length) > 0 then "  errors: " + ($r.errors | join("; ")) else "" end)),
  "",
  "notes: transfers/s is finished transfers (committed + declined for insufficient funds) per second, from the moment",
  "  every client is connected and prepared: pgbench tps without initial connection time counts the same way.",
  "  vs bare: against the bare libpq loop of the same protocol (pgbench: the bare tutorial loop); vs pgbench: against",
  "  pgbench in the same row group; both the median of the ratios of the runs of one repetition (paired runs, made",
  "  back to back). retries and failures: medians over the repetitions; peak RSS: the largest.",
  "  CPU s/1k: user + system CPU seconds of the client process alone (/usr/bin/time, start-up included) per 1000",
  "  transfers, counted as transfers/s x run time; the median over the repetitions. Not the CPU of the server.",
  "  tutorial policy: max_retries 3, backoff 100 ms x 2^n x U[0.5,1.5) -- pgbench runs with --max-tries=4 and cannot",
  "  back off (it retries at once), so its tutorial-policy rows are not quite the same policy as the others.",
  "  pgbench policy: max_retries 9 (10 tries), no backoff, 40001 and 40P01 retried -- pgbench --max-tries=10.",
  "  Every program runs SERIALIZABLE with prepared statements; tables are recreated and refilled before each run.",
  "",
  "start-up (roachrun run -q, one bank.transfer, running server): " +
    (if $startup == null then "not measured"
     else "\($startup) ms with a warm plugin cache, \($startup_cold) ms cold (\($startup_how))" end),
  ("memory growth (roachrun, 8 clients, 1000 accounts, pgbench policy): " +
    (if $growth == null then "not measured" + (if $have_workload == 0 then " (roachrun has no bank.workload step)" else "" end)
     else "\($growth.protocol): \($growth.short.seconds) s run: \($growth.short.committed) transfers, peak RSS \(($growth.short.rss_kb // 0) / 1024 | num(1)) MB;" +
       " \($growth.long.seconds) s run: \($growth.long.committed) transfers, peak RSS \(($growth.long.rss_kb // 0) / 1024 | num(1)) MB" end)),
  "",
  ([$rows[] | select(.delay_ms > 0)] | if length == 0 then "latency-bound cell: not measured" else
    "latency-bound cell: \(.[0].clients) connections through bench/delay_proxy.c, \(.[0].delay_ms) ms each way (nominal round trip \(.[0].delay_ms * 2) ms"
      + (if $rtt == null then ", not measured" else ", measured \($rtt) ms" end) + "), pgbench policy, 1000 accounts",
    ([("  program/protocol" | rpad(20)), ("transfers/s" | lpad(11)), ("round trips" | lpad(11)), ("bound/s" | lpad(8)),
      ("vs bound" | lpad(8)), ("vs nominal" | lpad(10)), ("vs pgbench" | lpad(10)), ("CPU s/1k" | lpad(8)), ("peak RSS MB" | lpad(11))] | join(" ")),
    (.[] | . as $r | ([("  \(.program)/\(.protocol)" | rpad(20)), (.tps | num(1) | lpad(11)),
      (.protocol | round_trips | tostring | lpad(11)), (bound($r) | num(0) | lpad(8)),
      ((if .tps == null then null else .tps / bound($r) end) | num(2) | lpad(8)),
      ((if .tps == null then null else .tps / nominal_bound($r) end) | num(2) | lpad(10)), (.vs_pgbench | num(2) | lpad(10)),
      (.cpu | num(3) | lpad(8)), ((if .rss_kb == null then null else .rss_kb / 1024 end) | num(1) | lpad(11))] | join(" "))
      + (if $r.audit_failed > 0 then "  AUDIT FAILED in \($r.audit_failed) run(s)" else "" end)
      + (if ($r.errors | length) > 0 then "  errors: " + ($r.errors | join("; ")) else "" end)),
    "  bound/s: connections / (round trips per transfer x the measured round trip), what the protocol could do if",
    "  the server took no time; vs bound: transfers/s over it; vs nominal: over the same bound with a round trip",
    "  of exactly 2 x the delay. The server time of each transfer (a COMMIT is an fsync) is in neither bound."
  end),
  "",
  "targets (issue 6):",
  ( $porder[] as $p | (1, 8) as $c | ("tutorial", "pipeline", "single") as $proto
    | vs(row($p; 1000; $c; "roachrun"; $proto); row($p; 1000; $c; "bare"; $proto); 0.95;
         "\($proto) vs bare \($proto), \($p) policy, \($c) clients, 1000 accounts")),
  ( ["tutorial", 0.95], ["pipeline", 1.25], ["single", 1.5] | . as [$proto, $min]
    | vs(row("pgbench"; 1000; 8; "roachrun"; $proto); row("pgbench"; 1000; 8; "pgbench"; "tutorial"); $min;
         "\($proto) vs pgbench, pgbench policy, 8 clients, 1000 accounts")),
  check("start-up < 20 ms (warm plugin cache)"; $startup; ($startup // 99) < 20; if $startup == null then "(not measured)" else "(\($startup) ms)" end),
  ([$rows[] | select(.program == "roachrun" and .clients == 8) | .rss_kb] + [$growth.short.rss_kb?, $growth.long.rss_kb?]
    | map(select(. != null)) | max) as $rss
  | check("peak RSS < 20 MB at 8 clients"; $rss; ($rss // 1e9) < 20 * 1024;
      if $rss == null then "(not measured)" else "(largest: \($rss / 1024 | num(1)) MB)" end),
  (if $growth == null or $growth.short.rss_kb == null or $growth.long.rss_kb == null then null
   else $growth.long.rss_kb <= $growth.short.rss_kb * 1.1 + 1024 end) as $g
  | check("memory does not grow with transfers (3x run within 10% + 1 MB)"; $g; $g == true;
      if $g == null then "(not measured)" else "(\($growth.short.rss_kb) kB -> \($growth.long.rss_kb) kB)" end),
  ([$rows[] | select(.accounts == 2 and .clients == 8 and .program == "roachrun")]) as $hot
  | check("2 accounts, 8 clients: roachrun audit held, failures reported"; (if ($hot | length) == 0 then null else 1 end);
      ($hot | map(.audit_failed) | add // 0) == 0 and ($hot | all(.tps != null));
      if ($hot | length) == 0 then "(not measured)" else "(" + ($hot | map("\(.policy)/\(.protocol): \(.failures | num(0)) failures") | join(", ")) + ")" end),
  "",
  "targets (issue 17):",
  ( $scale_clients | split(" ") | map(select(. != "") | tonumber)[] as $c
    | row("pgbench"; 1000; $c; "roachrun"; "tutorial") as $x | row("pgbench"; 1000; $c; "pgbench"; "tutorial") as $y
    | vs($x; $y; 1.0; "tutorial vs pgbench, pgbench policy, \($c) clients, 1000 accounts"),
      (paired($x; $y; "cpu_by_rep") as $q
       | check("tutorial client CPU per transfer vs pgbench, \($c) clients, <= 0.8x"; $q; ($q // 9) <= 0.8;
           if $q == null then "(not measured)"
           else "(\($q | num(2))x, median of paired runs; medians \($x.cpu | num(3)) vs \($y.cpu | num(3)) CPU s per 1000 transfers)" end))),
  ($scale_clients | split(" ") | map(select(. != "") | tonumber)) as $sc
  | ([$rows[] | select(.program == "roachrun" and .delay_ms == 0 and .policy == "pgbench" and .accounts == 1000 and .clients == 256) | .rss_kb] | max) as $big
  | ([$rows[] | select(.program == "roachrun" and .delay_ms == 0 and .policy == "pgbench" and .accounts == 1000 and .clients == 8) | .rss_kb] | max) as $small
  | check("roachrun peak RSS at 256 clients <= 16 MiB"; $big; ($big // 1e9) <= 16 * 1024;
      if $big == null then "(not measured)" else "(\($big / 1024 | num(1)) MiB)" end),
    check("roachrun peak RSS at 256 clients within 2 MiB of 8 clients"; (if $big == null or $small == null then null else 1 end);
      ($big // 1e9) - ($small // 0) <= 2 * 1024;
      if $big == null or $small == null then "(not measured)" else "(\($big / 1024 | num(1)) vs \($small / 1024 | num(1)) MiB)" end),
  ( ("tutorial", "pipeline", "single") as $proto
    | row("pgbench"; 1000; $delay_clients; $delay; "roachrun"; $proto) as $x
    | (if $x == null or $x.tps == null then null else $x.tps / bound($x) end) as $q
    | check("\($proto) through the delay proxy >= 0.9x its round-trip bound"; $q; ($q // 0) >= 0.9;
        if $q == null then "(not measured)" else "(\($q | num(2))x: \($x.tps | num(0)) of \(bound($x) | num(0)) transfers/s)" end)),
  (row("pgbench"; 1000; $delay_clients; $delay; "roachrun"; "pipeline8") as $x
   | row("pgbench"; 1000; $delay_clients; $delay; "pgbench"; "tutorial") as $y
   | vs($x; $y; 4; "pipeline with 8 transfers in flight per connection, through the delay proxy, vs pgbench")),
  "",
  ( $scale_clients | split(" ") | map(select(. != "") | tonumber)[] as $c
    | row("pgbench"; 1000; $c; "roachrun"; "tutorial") as $x | row("pgbench"; 1000; $c; "roachrun-threads"; "tutorial") as $y
    | select($x != null and $y != null)
    | "info  engines at \($c) clients, tutorial: events vs threads \(ratio($x; $y) | num(2))x transfers/s (\($x.tps | num(0)) vs \($y.tps | num(0))), "
      + "client CPU per transfer \(paired($x; $y; "cpu_by_rep") | num(2))x (\($x.cpu | num(3)) vs \($y.cpu | num(3)) s per 1000), "
      + "peak RSS \(($x.rss_kb // 0) / 1024 | num(1)) vs \(($y.rss_kb // 0) / 1024 | num(1)) MiB"),
  ([$rows[] | select(.program | startswith("roachrun") | not) | .audit_failed] | add // 0) as $other
  | "info  audits of the bare loop and pgbench runs (total conserved, none negative): " +
      (if $other == 0 then "all held" else "\($other) FAILED" end)
' "$results" | tee "$BENCH_OUT"
say "table written to $BENCH_OUT"
