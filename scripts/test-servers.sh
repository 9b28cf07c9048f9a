# Sourced by scripts/redis-tests.sh and scripts/ioredis-tests.sh: the servers they run other
# projects' test suites against. Needs ROOT (the repository) and SCRATCH (a scratch folder);
# sets TSX and SERVER_PID. Servers listen on loopback only and are stopped by their own pid.

TSX=$(cd "$ROOT" && node --input-type=module -e "console.log(import.meta.resolve('tsx'))")

# free_port: a loopback TCP port that was free a moment ago.
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# start_server lapse|redis PORT LOG: starts it in the background, records its pid, waits for PING.
start_server() {
  local kind=$1 port=$2 log=$3 dir
  dir=$(mktemp -d "$SCRATCH/data.XXXXXX")
  if [ "$kind" = lapse ]; then
    (cd "$dir" && exec node --import "$TSX" "$ROOT/src/cli.ts" --port "$port" --bind 127.0.0.1 \
      --save '' --enable-debug-command yes > "$log" 2>&1) &
  else
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
      --enable-debug-command yes > "$log" 2>&1 &
  fi
  SERVER_PID=$!
  for _ in $(seq 1 150); do
    if redis-cli -h 127.0.0.1 -p "$port" ping 2> /dev/null | grep -q PONG; then return 0; fi
    kill -0 "$SERVER_PID" 2> /dev/null || { cat "$log" >&2; SERVER_PID=; return 1; }
    sleep 0.2
  done
  echo "$kind did not answer PING on port $port" >&2
  return 1
}

# Stops the server this script started, by its pid only.
stop_server() {
  kill "$SERVER_PID" 2> /dev/null || true
  for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2> /dev/null || break; sleep 0.1; done
  kill -9 "$SERVER_PID" 2> /dev/null || true
  wait "$SERVER_PID" 2> /dev/null || true
  SERVER_PID=
}
