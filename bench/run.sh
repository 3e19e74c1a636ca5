#!/usr/bin/env bash
# The bank-workload benchmark (bench/README.md): starts a throwaway PostgreSQL 15 (fsync on, TCP
# loopback, deadlock_timeout lowered to 100 ms) and measures, alternating within each repetition,
# roachrun's bank.workload step in each protocol, pgbench running bench/pgbench-transfer.sql and
# bench/bare_bank.c in each protocol -- under the tutorial's retry policy and pgbench's. Prints
# a table of median transfers/s, ratios, retries, failures and peak RSS, then checks the targets
# of issue 6. The table also goes to $BENCH_OUT.
#
# Knobs (environment):
#   BENCH_SECONDS=5            time box of each measured run
#   BENCH_REPS=3               repetitions (the table shows medians)
#   BENCH_CLIENTS="1 8"        client counts
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
for c in $BENCH_CLIENTS; do [[ $c =~ ^[1-9][0-9]*$ ]] || fail "BENCH_CLIENTS: '$c' is not a client count"; done
for a in $BENCH_ACCOUNTS; do [[ $a =~ ^[0-9]+$ ]] && [ "$a" -ge 2 ] || fail "BENCH_ACCOUNTS: '$a' is not a count >= 2"; done
for p in $BENCH_POLICIES; do [[ $p == tutorial || $p == pgbench ]] || fail "BENCH_POLICIES: '$p' (tutorial or pgbench)"; done
for p in $BENCH_PROGRAMS; do [[ $p =~ ^(roachrun|pgbench|bare)$ ]] || fail "BENCH_PROGRAMS: '$p' (roachrun, pgbench, bare)"; done
for p in $BENCH_PROTOCOLS $BENCH_GROWTH_PROTOCOL; do
  [[ $p =~ ^(tutorial|pipeline|single)$ ]] || fail "BENCH_PROTOCOLS: '$p' (tutorial, pipeline, single)"
done

# ---- what it needs (jq and time included) --------------------------------------------------------
scripts/bootstrap.sh

if [ "$BENCH_BUILD" != 0 ]; then
  say "building roachrun_bundle and roachrun_bare_bank"
  ROACHRUN_BUILD_DIR=$build_dir scripts/build.sh --target roachrun_bundle roachrun_bare_bank
fi
case $build_dir in /*) bin_dir=$build_dir/bin ;; *) bin_dir=$repo/$build_dir/bin ;; esac
roachrun=$bin_dir/roachrun
bare=$bin_dir/roachrun_bare_bank
pgbench=$pg_bindir/pgbench
[ -x "$pgbench" ] || pgbench=$(command -v pgbench || true)
[ -x "$bare" ] || fail "$bare is missing (build the target roachrun_bare_bank)"
[ -x "$roachrun" ] || fail "$roachrun is missing (build the target roachrun_bundle)"
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
cleanup() {
  if [ $server_started = 1 ]; then
    "${as_server[@]}" "$pg_bindir/pg_ctl" -D "$pgdir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"${as_server[@]}" "$pg_bindir/initdb" -D "$pgdir/data" -U root --auth=trust --encoding=UTF8 --locale=C \
  --no-instructions >"$tmp/initdb.log" 2>&1 || { cat "$tmp/initdb.log" >&2; fail "initdb failed"; }

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
max_connections = 100
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

peak_rss_kb() { tail -n 1 "$1" 2>/dev/null | grep -E '^[0-9]+$' || echo null; }

# Writes the scenario of a roachrun workload run to $1.
workload_scenario() { # file policy accounts clients protocol seconds
  cat >"$1" <<EOF
scenario: bench-workload
target: {url: "$url"}
connections: {bench: {user: root, database: bench}}
retry: {max_retries: $(policy_retries "$2"), base_backoff: $(policy_backoff_ms "$2")ms, max_backoff: 10s}
steps:
  - name: workload
    bank.workload: {protocol: $5, clients: $4, accounts: $3, amount: $BENCH_AMOUNT, duration: ${6}s}
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
    roachrun)
      workload_scenario "$tmp/workload.yaml" "$policy" "$accounts" "$clients" "$protocol" "$seconds"
      psql_bench -c CHECKPOINT
      /usr/bin/time -f %M -o "$rss" "$roachrun" run -q --report "json=$tmp/report.json" "$tmp/workload.yaml" \
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
      /usr/bin/time -f %M -o "$rss" "$pgbench" -n -M prepared --max-tries=$((retries_n + 1)) -T "$seconds" \
        -c "$clients" -j "$jobs" -D "accounts=$accounts" -D "amount=$BENCH_AMOUNT" -f "$repo/bench/pgbench-transfer.sql" \
        -h 127.0.0.1 -p "$port" -U root bench >"$out" 2>"$err" || rc=$?
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
      /usr/bin/time -f %M -o "$rss" "$bare" --conninfo "$conninfo" --protocol "$protocol" --clients "$clients" \
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
    --argjson rss_kb "$(peak_rss_kb "$rss")" --argjson audit_ok "$audit" --argjson rc "$rc" --arg error "$error" \
    '{policy: $policy, accounts: $accounts, clients: $clients, program: $program, protocol: $protocol, rep: $rep,
      seconds: $seconds, tps: $tps, committed: $committed, retries: $retries, failures: $failures, rss_kb: $rss_kb,
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
ngroups=0
for _ in $BENCH_POLICIES; do for _ in $BENCH_ACCOUNTS; do for _ in $BENCH_CLIENTS; do ngroups=$((ngroups + 1)); done; done; done
total=$((ngroups * BENCH_REPS * ncells))
say "measuring ${cells[*]}: $total runs of ${BENCH_SECONDS} s (about $(((total * (BENCH_SECONDS + 1) + 59) / 60)) min)"

n=0
for policy in $BENCH_POLICIES; do
  for accounts in $BENCH_ACCOUNTS; do
    for clients in $BENCH_CLIENTS; do
      for rep in $(seq 1 "$BENCH_REPS"); do
        for i in $(seq 0 $((ncells - 1))); do
          cell=${cells[$(((i + rep - 1) % ncells))]}
          n=$((n + 1))
          line=$(run_one "$policy" "$accounts" "$clients" "${cell%/*}" "${cell#*/}" "$rep" "$BENCH_SECONDS")
          echo "$line" >>"$results"
          say "[$n/$total] $(jq -r '"policy \(.policy), \(.accounts) accounts, \(.clients) clients, \(.program)/\(.protocol): " +
            (if .tps == null then "NO RESULT" else "\(.tps * 10 | round / 10) transfers/s, \(.retries) retries, \(.failures) failures" end) +
            (if .audit_ok == false then ", AUDIT FAILED" else "" end) +
            (if .error != null then " -- \(.error)" else "" end)' <<<"$line")"
        done
      done
    done
  done
done

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
def order: {"bare/tutorial": 0, "roachrun/tutorial": 1, "pgbench/tutorial": 2, "bare/pipeline": 3,
  "roachrun/pipeline": 4, "bare/single": 5, "roachrun/single": 6}[.] // 9;
($policies | split(" ") | map(select(. != ""))) as $porder
| group_by([.policy, .accounts, .clients, .program, .protocol])
| map({policy: .[0].policy, accounts: .[0].accounts, clients: .[0].clients, program: .[0].program,
       protocol: .[0].protocol, runs: length, tps: (map(.tps) | median),
       by_rep: (map({key: (.rep | tostring), value: .tps}) | from_entries), retries: (map(.retries) | median),
       failures: (map(.failures) | median), rss_kb: (map(.rss_kb) | map(select(. != null)) | max),
       audit_failed: (map(select(.audit_ok == false)) | length), errors: (map(.error | select(. != null)) | unique)})
| . as $rows
| def find($p; $a; $c; $prog; $proto): first($rows[] | select(.policy == $p and .accounts == $a and .clients == $c
    and .program == $prog and .protocol == $proto)) // null;
  # Paired: within each repetition the two ran minutes apart at most, so the machine drifts less
  # between them than across the run; the ratio is the median of the per-repetition ratios.
  def ratio($x; $y): if $x == null or $y == null then null
    else [$x.by_rep | keys[] as $k | select($x.by_rep[$k] != null and ($y.by_rep[$k] // 0) > 0)
          | $x.by_rep[$k] / $y.by_rep[$k]] | median end;
  map(. as $r | . + {vs_bare: (if $r.program == "bare" then null
                              else ratio($r; find($r.policy; $r.accounts; $r.clients; "bare"; $r.protocol)) end),
                     vs_pgbench: (if $r.program == "pgbench" then null
                              else ratio($r; find($r.policy; $r.accounts; $r.clients; "pgbench"; "tutorial")) end)})
| sort_by(. as $r | [($porder | index($r.policy)), $r.accounts, $r.clients, ("\($r.program)/\($r.protocol)" | order)])
| . as $rows
| def row($p; $a; $c; $prog; $proto): first($rows[] | select(.policy == $p and .accounts == $a and .clients == $c
    and .program == $prog and .protocol == $proto)) // null;
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
    ("failures" | lpad(8)), ("peak RSS MB" | lpad(11))] | join(" ")),
  ($rows[] | . as $r | ([(.policy | rpad(9)), (.accounts | lpad(8)), (.clients | lpad(7)),
    "  " + ("\(.program)/\(.protocol)" | rpad(18)), (.tps | num(1) | lpad(11)), (.vs_bare | num(2) | lpad(8)),
    (.vs_pgbench | num(2) | lpad(10)), (.retries | num(0) | lpad(8)), (.failures | num(0) | lpad(8)),
    ((if .rss_kb == null then null else .rss_kb / 1024 end) | num(1) | lpad(11))] | join(" "))
    + (if $r.audit_failed > 0 then "  AUDIT FAILED in \($r.audit_failed) run(s)" else "" end)
    + (if ($r.errors | length) > 0 then "  errors: " + ($r.errors | join("; ")) else "" end)),
  "",
  "notes: transfers/s is finished transfers (committed + declined for insufficient funds) per second, from the moment",
  "  every client is connected and prepared: pgbench tps without initial connection time counts the same way.",
  "  vs bare: against the bare libpq loop of the same protocol (pgbench: the bare tutorial loop); vs pgbench: against",
  "  pgbench in the same row group; both the median of the ratios of the runs of one repetition (paired runs, made",
  "  back to back). retries and failures: medians over the repetitions; peak RSS: the largest.",
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
  ([$rows[] | select(.program != "roachrun") | .audit_failed] | add // 0) as $other
  | "info  audits of the bare loop and pgbench runs (total conserved, none negative): " +
      (if $other == 0 then "all held" else "\($other) FAILED" end)
' "$results" | tee "$BENCH_OUT"
say "table written to $BENCH_OUT"
