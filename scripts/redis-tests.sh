#!/usr/bin/env bash
# Runs Redis's own test suite (tests/ of a Redis source tree, Tcl) against lapse, in the suite's
# external-server mode, and prints a pass/fail summary per unit. A checking tool, not part of
# `npm test`: nothing of Redis's tests is kept in this repository, they are exported to a scratch
# folder outside it for each run and deleted afterwards (unless --keep).
#
#   scripts/redis-tests.sh [options] [unit ...]      e.g. scripts/redis-tests.sh unit/type/set
#
# Options:
#   --mirror DIR     a bare git clone of redis (default /work/.mirror/redis+redis/repo)
#   --tag TAG        the tag exported from it (default 7.0.15)
#   --redis-src DIR  a Redis source tree to take tests/ from instead of the mirror
#   --reference      run the same units against /usr/bin/redis-server too, with the same options
#                    (DEBUG enabled), to see which failures are the checker's and not lapse's
#   --isolate        rerun each failed test alone (--only NAME) against the same lapse: a test
#                    that fails half-way can leave the shared connection in MULTI, RESP3 or raw
#                    mode and fail the tests after it; those pass alone and are counted apart
#   --keep           keep the scratch folder (the exported tests and each unit's full log)
#   --               everything after it goes to Redis's ./runtest (--only, --skiptest, --tags ...)
# Without units: the units of the command groups lapse has (DEFAULT_UNITS in this script).
#
# Needs tclsh 8.5+ (Redis's runner), node (lapse from source via tsx) and redis-cli (to probe the
# server); --reference needs redis-server.
#
# Each unit runs against a fresh lapse on a free loopback port, with `--clients 1` (one test
# client: the units share one server) and `--durable` (an error inside a test fails that test and
# the run goes on; without it the first unknown command ends the unit). What lapse lacks is
# probed, not assumed: no OBJECT -> `--ignore-encoding` (encoding assertions pass unchecked), no
# DEBUG -> `--ignore-digest`, no FUNCTION -> the runner's per-block `FUNCTION FLUSH` is wrapped in
# `catch` in the scratch copy (otherwise no block could start). Each of these is printed when used.
# A failure outside any test (a block aborted, its remaining tests not run) shows as an [err]
# without a test name: compare the counts with --reference to see how many tests were lost.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
MIRROR=/work/.mirror/redis+redis/repo
TAG=7.0.15
REDIS_SRC=
REFERENCE=0
ISOLATE=0
KEEP=0
UNITS=()
PASS=()
# Tests that cannot pass against any external server, skipped by name (--skiptest), with why:
CANNOT_RUN_EXTERNALLY=(
  # kills the server's fork child found from the server's pid, which only a spawned server has
  # (and it leaves set-max-intset-entries at 0, failing the encoding checks after it)
  "SRANDMEMBER with a dict containing long chain"
)
DEFAULT_UNITS=(unit/type/string unit/type/incr unit/type/hash unit/type/set unit/type/zset unit/keyspace
  unit/bitops unit/bitfield unit/dump
  unit/expire unit/multi unit/pubsub unit/info unit/info-command unit/auth unit/protocol
  unit/quit unit/scan unit/type/list unit/other unit/scripting unit/functions)

while [ $# -gt 0 ]; do
  case $1 in
    --mirror) MIRROR=$2; shift 2 ;;
    --tag) TAG=$2; shift 2 ;;
    --redis-src) REDIS_SRC=$2; shift 2 ;;
    --reference) REFERENCE=1; shift ;;
    --isolate) ISOLATE=1; shift ;;
    --keep) KEEP=1; shift ;;
    --) shift; PASS=("$@"); break ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    *) UNITS+=("$1"); shift ;;
  esac
done
[ ${#UNITS[@]} -gt 0 ] || UNITS=("${DEFAULT_UNITS[@]}")

TCLSH=$(command -v tclsh8.6 || command -v tclsh8.7 || command -v tclsh8.5 || command -v tclsh || true)
[ -n "$TCLSH" ] || { echo "tclsh 8.5+ is needed (apt-get install tcl)" >&2; exit 2; }
command -v redis-cli > /dev/null || { echo "redis-cli is needed to probe the server" >&2; exit 2; }

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/lapse-redis-tests.XXXXXX")
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then stop_server; fi
  if [ $KEEP = 1 ]; then echo "scratch kept: $SCRATCH"; else rm -rf "$SCRATCH"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the tests, exported outside the repository ---------------------------------------------
mkdir -p "$SCRATCH/suite"
if [ -n "$REDIS_SRC" ]; then
  cp -R "$REDIS_SRC/tests" "$SCRATCH/suite/tests"
  SOURCE="$REDIS_SRC"
else
  git -C "$MIRROR" archive "$TAG" tests | tar -x -C "$SCRATCH/suite"
  SOURCE="$MIRROR @ $TAG"
fi
for u in "${UNITS[@]}"; do
  [ -f "$SCRATCH/suite/tests/$u.tcl" ] || { echo "no such unit in $SOURCE: $u" >&2; exit 2; }
done

# --- servers ------------------------------------------------------------------------------------
# shellcheck source=scripts/test-servers.sh
. "$ROOT/scripts/test-servers.sh"

# has_command PORT NAME: whether the server knows the command (COMMAND INFO answers non-nil).
has_command() {
  [ -n "$(redis-cli -h 127.0.0.1 -p "$1" command info "$2" 2> /dev/null | tr -d '[:space:]')" ]
}

SKIPS=()
for t in "${CANNOT_RUN_EXTERNALLY[@]}"; do SKIPS+=(--skiptest "$t"); done


# runner SUITE PORT UNIT OUT [runtest args...]: Redis's runner against the server on PORT, its
# output (colours stripped) to OUT.
runner() {
  local suite=$1 port=$2 unit=$3 out=$4
  shift 4
  # The runner's own port for its test client: free, so that parallel runs do not meet.
  local base=$(( $(free_port) + 32 ))
  (cd "$suite" && "$TCLSH" tests/test_helper.tcl --host 127.0.0.1 --port "$port" --single "$unit" \
    --clients 1 --durable --timeout 300 --baseport "$base" "$@") \
    2>&1 | sed 's/\x1b\[[0-9;]*m//g' > "$out" || true
}

# run_unit lapse|redis UNIT: one unit against a fresh server; appends "kind unit ok err ignore
# skip aborted" to $SCRATCH/summary and the failed test names to $SCRATCH/failed.
run_unit() {
  local kind=$1 unit=$2 port log out flags=() suite
  port=$(free_port)
  log="$SCRATCH/${kind}-${unit//\//_}.server.log"
  out="$SCRATCH/${kind}-${unit//\//_}.out"
  start_server "$kind" "$port" "$log"
  # A copy of the suite per run, so that a patch for one server does not reach the other.
  suite="$SCRATCH/suite-$kind"
  [ -d "$suite" ] || cp -R "$SCRATCH/suite" "$suite"
  if ! has_command "$port" object; then flags+=(--ignore-encoding); fi
  if ! has_command "$port" debug; then flags+=(--ignore-digest); fi
  if ! has_command "$port" function; then
    sed -i 's/^\( *\)r function flush$/\1catch {r function flush}/' "$suite/tests/support/server.tcl"
    flags+=("(FUNCTION FLUSH wrapped in catch)")
    # unit/scripting runs its tests twice, as functions and then as EVAL: without FUNCTION
    # only the EVAL pass is run (the function pass would fail every test, and leave the
    # connection in RESP3 or raw mode for the EVAL pass).
    if [ "$unit" = unit/scripting ]; then
      sed -i 's/^foreach is_eval {0 1} {$/foreach is_eval {1} {/' "$suite/tests/unit/scripting.tcl"
      flags+=("(unit/scripting: EVAL pass only)")
    fi
  fi
  echo "== $unit against $kind (port $port) ${flags[*]}"
  local runflags=()
  for f in "${flags[@]}"; do case $f in --*) runflags+=("$f") ;; esac; done
  runner "$suite" "$port" "$unit" "$out" "${runflags[@]}" "${SKIPS[@]}" "${PASS[@]}"
  # Failed tests rerun one by one: "alone: ok" marks one that failed only after another.
  local alone=0 name
  if [ $ISOLATE = 1 ]; then
    while IFS= read -r name; do
      runner "$suite" "$port" "$unit" "$out.alone" "${runflags[@]}" "${PASS[@]}" --only "$name"
      if grep -qxF "[ok]: $name" <(sed 's/ ([0-9]* ms)$//' "$out.alone"); then
        alone=$((alone + 1))
        echo "$kind $unit passes alone: $name" >> "$SCRATCH/alone"
      fi
    done < <(sed -n 's/^\[err\]: \(.*\) in tests\/.*\.tcl$/\1/p' "$out")
  fi
  stop_server
  awk -v kind="$kind" -v unit="$unit" -v failed="$SCRATCH/failed" -v alone="$alone" '
    /^\[ok\]: /        { ok++ }
    /^\[ignore\]: /    { ignore++ }
    /^\[skip\]: /      { skip++ }
    /^\[exception\]: / { exc++; print kind " " unit " EXCEPTION: " substr($0, 14) >> failed }
    /^\[err\]: /       {
      name = substr($0, 8)
      if (name ~ / in tests\/.*\.tcl$/) { err++; sub(/ in tests\/.*\.tcl$/, "", name); print kind " " unit " FAIL: " name >> failed }
      else { aborted++; print kind " " unit " BLOCK ABORTED: " name >> failed }
    }
    END { printf "%s %s %d %d %d %d %d %d\n", kind, unit, ok, err + exc, ignore, skip, aborted, alone }
  ' "$out" >> "$SCRATCH/summary"
  tail -n 1 "$SCRATCH/summary" | awk '{ printf "   ok %s, failed %s (of which pass alone: %s), ignored %s, skipped %s, blocks aborted %s\n", $3, $4, $8, $5, $6, $7 }'
}

: > "$SCRATCH/summary"
: > "$SCRATCH/failed"
: > "$SCRATCH/alone"
echo "Redis tests from $SOURCE, run in $SCRATCH"
for u in "${UNITS[@]}"; do
  run_unit lapse "$u"
  if [ $REFERENCE = 1 ]; then run_unit redis "$u"; fi
done

echo
echo "Failures (name as in Redis's test; BLOCK ABORTED = an error outside a test, the rest of its block did not run):"
sort -s -k1,2 "$SCRATCH/failed" | sed 's/^/  /'
if [ $ISOLATE = 1 ]; then
  echo
  echo "Failed in the run but pass alone (a test before them left the connection in a bad state):"
  sed 's/^/  /' "$SCRATCH/alone"
fi
echo
printf '%-8s %-22s %6s %6s %6s %8s %8s %8s\n' server unit ok failed alone ignored skipped aborted
awk '{ printf "%-8s %-22s %6d %6d %6s %8d %8d %8d\n", $1, $2, $3, $4, (ISO ? $8 : "-"), $5, $6, $7; ok[$1] += $3; f[$1] += $4; a[$1] += $8 }
  END { for (k in ok) printf "%-8s %-22s %6d %6d %6s\n", k, "(all)", ok[k], f[k], (ISO ? a[k] : "-") }' ISO=$ISOLATE "$SCRATCH/summary"
if grep -q '^lapse ' "$SCRATCH/summary" && awk '$1 == "lapse" && ($4 > 0 || $7 > 0) { bad = 1 } END { exit !bad }' "$SCRATCH/summary"; then
  exit 1
fi
