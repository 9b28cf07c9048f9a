#!/usr/bin/env bash
# Runs ioredis's own functional tests (test/functional of the ioredis source, mocha) against
# lapse and prints passing/failing/pending counts and the failed tests' names. A checking tool, not
# part of `npm test`: nothing of ioredis's tests is kept in this repository, the tag matching the
# installed ioredis is exported from a git mirror to a scratch folder for each run, its dev
# dependencies installed there (npm ci: the npm registry must be reachable, npm's cache makes
# reruns quick), and the folder deleted afterwards (unless --keep).
#
#   scripts/ioredis-tests.sh [options] [test file ...]   e.g. scripts/ioredis-tests.sh commands/lpush.ts
#
# Options:
#   --mirror DIR   a bare git clone of github.com/redis/ioredis (default /work/.mirror/redis+ioredis/repo)
#   --tag TAG      the tag exported (default v<version of node_modules/ioredis>)
#   --reference    run the same tests against /usr/bin/redis-server too, with the same options, to
#                  see which failures are the environment's (or newer-Redis features) and not lapse's
#   --keep         keep the scratch folder (the exported source, each run's log and JSON report)
#   --             everything after it goes to mocha (--grep, --bail, ...)
# Test files are relative to test/functional; without them, every functional test but EXCLUDED.
#
# How the suite is pointed at the server: ioredis's tests connect with `new Redis()` (port 6379 of
# "localhost", from DEFAULT_REDIS_OPTIONS in lib/redis/RedisOptions.ts; no env var overrides it)
# and a few name 6379 literally (connection.ts, duplicate.ts, tls.ts, tracing.ts: the default
# port's value, or a raw socket to the server). Port 6379 may be taken, so the scratch copy is
# patched: every literal 6379 in lib/redis/RedisOptions.ts, lib/Redis.ts and the test files run is
# replaced by the server's free port (a whole-word match: 16379, 26379 are mock servers' ports and
# stay). The patch count is printed. Nothing else of ioredis is changed.
#
# EXCLUDED, and why (they cannot run against one external server on a free port):
#   cluster/              ioredis's cluster client against mock cluster nodes on fixed ports
#                         (30001-30003 ...); they never talk to the server under test
#   sentinel.ts, sentinel_nat.ts
#                         mock sentinels on fixed ports (27379, 26379 ...), same
#   commands/readonly.ts, commands/readwrite.ts
#                         need a Redis Cluster node on 127.0.0.1:3000 (ioredis's docker cluster)
# Other tests that start mock servers on fixed ports (17379-17383, 30000 ...) are kept: they test
# ioredis alone, and only fail if something else holds those ports (then they fail with
# --reference too; so do not run two of these scripts at once).
#
# ioredis 6 is tested by its authors against Redis 8: tests of commands newer than 7.0 skip
# themselves (pending) when INFO's redis_version is lower, others fail on redis-server 7.0.15 as on
# lapse; --reference shows which.
#
# After each test, ioredis's shared hook (test/helpers/global.ts) sends FLUSHALL, SCRIPT FLUSH and
# CLIENT KILL normal in one pipeline to the server under test; a pipeline keeps each command's
# error in its results, so the hook passes on a server without SCRIPT (and CLIENT KILL normal,
# the old one-address form, answers "No such client" on both servers).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
MIRROR=/work/.mirror/redis+ioredis/repo
TAG=
REFERENCE=0
KEEP=0
FILES=()
PASS=()
EXCLUDED=(cluster sentinel.ts sentinel_nat.ts commands/readonly.ts commands/readwrite.ts)

while [ $# -gt 0 ]; do
  case $1 in
    --mirror) MIRROR=$2; shift 2 ;;
    --tag) TAG=$2; shift 2 ;;
    --reference) REFERENCE=1; shift ;;
    --keep) KEEP=1; shift ;;
    --) shift; PASS=("$@"); break ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    *) FILES+=("$1"); shift ;;
  esac
done

if [ -z "$TAG" ]; then
  TAG=v$(node -p 'require(process.argv[1]).version' "$ROOT/node_modules/ioredis/package.json")
fi
git -C "$MIRROR" rev-parse --verify --quiet "$TAG^{commit}" > /dev/null \
  || { echo "no tag $TAG in $MIRROR (a bare clone of github.com/redis/ioredis; see --mirror)" >&2; exit 2; }
command -v redis-cli > /dev/null || { echo "redis-cli is needed to probe the server" >&2; exit 2; }

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/lapse-ioredis-tests.XXXXXX")
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then stop_server; fi
  if [ $KEEP = 1 ]; then echo "scratch kept: $SCRATCH"; else rm -rf "$SCRATCH"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the tests, exported outside the repository, with their dev dependencies ------------------
SRC="$SCRATCH/ioredis"
mkdir -p "$SRC"
# Only what the tests need (lib is compiled on the fly by ts-node, as ioredis's `npm run test:js`).
PATHS=(lib test package.json package-lock.json tsconfig.json)
git -C "$MIRROR" archive "$TAG" "${PATHS[@]}" 2> "$SCRATCH/archive.log" | tar -x -C "$SRC"
# A partial mirror may lack blobs outside these paths, and git archive then complains without
# failing: what counts is that every file of these paths arrived.
if [ "$(git -C "$MIRROR" ls-tree -r --name-only "$TAG" -- "${PATHS[@]}" | wc -l)" \
  != "$(cd "$SRC" && find "${PATHS[@]}" -type f -o -type l | wc -l)" ]; then
  cat "$SCRATCH/archive.log" >&2
  echo "exporting $TAG from $MIRROR left files out" >&2
  exit 1
fi
echo "ioredis $TAG from $MIRROR, in $SRC"
echo "installing its dev dependencies (npm ci) ..."
(cd "$SRC" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error > "$SCRATCH/npm-ci.log" 2>&1) \
  || { cat "$SCRATCH/npm-ci.log" >&2; exit 1; }

# The test files: given ones, or every functional test not excluded.
if [ ${#FILES[@]} -eq 0 ]; then
  while IFS= read -r f; do
    rel=${f#test/functional/}
    skip=0
    for e in "${EXCLUDED[@]}"; do
      if [ "$rel" = "$e" ] || [[ "$rel" == "$e"/* ]]; then skip=1; fi
    done
    [ $skip = 1 ] || FILES+=("$rel")
  done < <(cd "$SRC" && find test/functional -name '*.ts' | sort)
fi
for f in "${FILES[@]}"; do
  [ -f "$SRC/test/functional/$f" ] || { echo "no such test file in ioredis $TAG: test/functional/$f" >&2; exit 2; }
done
echo "${#FILES[@]} test files (excluded: ${EXCLUDED[*]})"

# --- servers ------------------------------------------------------------------------------------
# shellcheck source=scripts/test-servers.sh
. "$ROOT/scripts/test-servers.sh"

# run_suite lapse|redis: the tests against a fresh server, mocha's JSON report in
# $SCRATCH/KIND.report.json.
run_suite() {
  local kind=$1 port suite log report
  port=$(free_port)
  log="$SCRATCH/$kind.server.log"
  report="$SCRATCH/$kind.report.json"
  # A copy per run: the port patch differs.
  suite="$SCRATCH/suite-$kind"
  cp -R "$SRC" "$suite"
  local patched=0 f n
  for f in lib/redis/RedisOptions.ts lib/Redis.ts "${FILES[@]/#/test/functional/}"; do
    n=$(grep -ow 6379 "$suite/$f" | wc -l || true)
    if [ "$n" -gt 0 ]; then
      sed -i "s/\b6379\b/$port/g" "$suite/$f"
      patched=$((patched + n))
    fi
  done
  start_server "$kind" "$port" "$log"
  echo "== ioredis tests against $kind (port $port; $patched literal 6379s replaced by it)"
  local mocha_files=()
  for f in "${FILES[@]}"; do mocha_files+=("test/functional/$f"); done
  # As ioredis's `npm run test:js` (its package.json's mocha settings: ts-node, 8 s timeout,
  # --exit), functional tests only; the JSON report goes to a file, the tests' own output to a log.
  (cd "$suite" && TS_NODE_TRANSPILE_ONLY=true NODE_ENV=test node_modules/.bin/mocha \
    --reporter json --reporter-option "output=$report" \
    "test/helpers/*.ts" "${mocha_files[@]}" "${PASS[@]}") > "$SCRATCH/$kind.mocha.log" 2>&1 || true
  stop_server
  if [ ! -s "$report" ]; then
    echo "mocha wrote no report for $kind; its output:" >&2
    tail -n 40 "$SCRATCH/$kind.mocha.log" >&2
    exit 1
  fi
  node -e 'const s = require(process.argv[1]).stats;
    console.log(`   passing ${s.passes}, failing ${s.failures}, pending ${s.pending} (${Math.round(s.duration / 1000)} s)`)' "$report"
}

run_suite lapse
if [ $REFERENCE = 1 ]; then run_suite redis; fi

# --- the report ---------------------------------------------------------------------------------
# ioredis runs most command tests once per RESP configuration (RESP2/legacy, RESP3/legacy,
# RESP3/resp3, test/helpers/respConfigs.ts): a test failing under several is listed once, with
# them. A failed before/after hook is counted apart: mocha does not run the rest of its suite, so
# those tests are missing from the counts (--reference lists them: the tests redis-server ran).
cat > "$SCRATCH/report.js" << 'JS'
const fs = require("fs");
const [dir, reference] = process.argv.slice(2);
const load = (kind) => JSON.parse(fs.readFileSync(`${dir}/${kind}.report.json`, "utf8"));
const kinds = reference === "1" ? ["lapse", "redis"] : ["lapse"];
const reports = Object.fromEntries(kinds.map((k) => [k, load(k)]));
const CONFIG = / \((RESP2\/legacy|RESP3\/legacy|RESP3\/resp3)\)/;
const isHook = (t) => /^"(before|after) (each|all)" hook/.test(t.title);
const firstLine = (t) => String((t.err && t.err.message) || "").split("\n")[0].slice(0, 150);
// Failures grouped by title without the RESP configuration: [{title, configs, message}]
function grouped(failures) {
  const byTitle = new Map();
  for (const t of failures) {
    const m = t.fullTitle.match(CONFIG);
    const title = t.fullTitle.replace(CONFIG, "");
    const g = byTitle.get(title) || { title, configs: [], message: firstLine(t) };
    if (m) g.configs.push(m[1]);
    byTitle.set(title, g);
  }
  return [...byTitle.values()].sort((a, b) => a.title.localeCompare(b.title));
}
const failedOn = (kind) => new Set((reports[kind] ? reports[kind].failures : []).map((t) => t.fullTitle));
const redisFailed = failedOn("redis");
for (const kind of kinds) {
  const r = reports[kind];
  console.log(`\nFailures on ${kind} (${r.failures.length}; one line per test, its RESP configurations in [])${kind === "lapse" && reference === "1" ? ", * = fails on redis-server too" : ""}:`);
  for (const g of grouped(r.failures)) {
    const alsoRedis = kind === "lapse" && reference === "1" &&
      r.failures.some((t) => t.fullTitle.replace(CONFIG, "") === g.title && redisFailed.has(t.fullTitle));
    console.log(`  ${alsoRedis ? "*" : " "} ${g.title}${g.configs.length ? ` [${g.configs.join(", ")}]` : ""}\n        ${g.message}`);
  }
  // The commands the server refused as unknown, and how many failures each caused.
  const unknown = new Map();
  for (const t of r.failures) {
    const m = firstLine(t).match(/unknown (command|subcommand) '([^']+)'/);
    if (m) unknown.set(m[2], (unknown.get(m[2]) || 0) + 1);
  }
  if (unknown.size) {
    console.log(`  Unknown to ${kind} (command or subcommand: failures it caused):`);
    console.log("    " + [...unknown].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(", "));
  }
}
if (reference === "1") {
  const ran = new Set(reports.lapse.tests.map((t) => t.fullTitle));
  const notRun = reports.redis.tests.filter((t) => !ran.has(t.fullTitle));
  console.log(`\nRun on redis-server but not on lapse (a hook before them failed): ${notRun.length}`);
  for (const t of notRun) console.log(`    ${t.fullTitle}`);
}
console.log(`\n${"server".padEnd(8)} ${["passing", "failing", "(hooks)", "pending", "ran"].map((h) => h.padStart(8)).join(" ")}`);
for (const kind of kinds) {
  const { stats, failures } = reports[kind];
  const hooks = failures.filter(isHook).length;
  const row = [stats.passes, stats.failures - hooks, hooks, stats.pending, stats.tests];
  console.log(`${kind.padEnd(8)} ${row.map((n) => String(n).padStart(8)).join(" ")}`);
}
console.log("(failing: tests; (hooks): failed before/after hooks; ran: tests mocha started)");
process.exitCode = reports.lapse.stats.failures > 0 || reports.lapse.stats.passes === 0 ? 1 : 0;
JS
node "$SCRATCH/report.js" "$SCRATCH" "$REFERENCE"
