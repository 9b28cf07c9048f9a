import { spawn } from 'node:child_process';
import v8 from 'node:v8';

/**
 * V8 settings that follow maxmemory, for the command line (see src/server/memory.ts for
 * what maxmemory counts). Two of them can only be given when node starts:
 *
 * - --max-semi-space-size: V8's young generation (two semi-spaces, 16 MB each by
 *   default on x64) is memory the process holds on top of used_memory. With a small
 *   maxmemory it is made small too: 1 MB per 64 MB of maxmemory (at least 1, at most
 *   V8's default 16), so that the RSS stays close to maxmemory. The price is more
 *   frequent young-generation collections (each one shorter).
 * - --max-old-space-size: V8's heap limit (about 4 GB by default with 16 GB of RAM or
 *   more; less on smaller machines). A maxmemory that needs more heap than that would
 *   crash the process with "JavaScript heap out of memory" before eviction could help,
 *   so the limit is raised to maxmemory * 1.25 plus 256 MB (room for V8's heap growth
 *   over the live data).
 *
 * The CLI starts node again with these flags (one child process; the parent only waits
 * for it, forwards SIGINT, SIGTERM and SIGHUP, and exits with its status; the child
 * exits if the parent dies). It does not when the flags are already given (in
 * NODE_OPTIONS or on node's command line), nor when LAPSE_NO_RESPAWN=1: then
 * `NODE_OPTIONS="--max-semi-space-size=2 --max-old-space-size=8192" lapse ...` does
 * the same in one process. Changing maxmemory later with CONFIG SET cannot change them.
 */

const MB = 1024 * 1024;
/** V8's default maximum semi-space on x64, in MB. */
const DEFAULT_SEMI_SPACE_MB = 16;

/** The V8 flags a server with this maxmemory (bytes; 0 = none) should run with. */
export function v8FlagsFor(maxmemory: number, heapLimit: number = v8.getHeapStatistics().heap_size_limit): string[] {
  if (!(maxmemory > 0)) return [];
  const flags: string[] = [];
  const semi = Math.min(DEFAULT_SEMI_SPACE_MB, Math.max(1, Math.ceil(maxmemory / (64 * MB))));
  if (semi < DEFAULT_SEMI_SPACE_MB) flags.push(`--max-semi-space-size=${semi}`);
  const oldSpace = Math.ceil((maxmemory * 1.25) / MB) + 256;
  if (oldSpace * MB > heapLimit) flags.push(`--max-old-space-size=${oldSpace}`);
  return flags;
}

/** Whether a flag of this name was given to node already (its command line or NODE_OPTIONS). */
function flagGiven(name: string): boolean {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  const plain = name.replace(/_/g, '-');
  return given.some((a) => a.replace(/_/g, '-').startsWith(plain));
}

/** Set in the child's environment: it must not start another. */
const RESPAWNED = 'LAPSE_RESPAWNED';

/**
 * Starts node again with `flags` when some are missing, and returns true: this process
 * then only waits for that child. False when this process should run the server itself.
 */
export function respawnWith(flags: readonly string[]): boolean {
  if (process.env[RESPAWNED] === '1') {
    // The child: exit if the parent goes away without a signal (SIGKILL).
    if (process.channel) {
      process.channel.unref();
      process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
    }
    return false;
  }
  if (process.env.LAPSE_NO_RESPAWN === '1') return false;
  const missing = flags.filter((f) => !flagGiven(f.slice(0, f.indexOf('='))));
  if (missing.length === 0) return false;
  const child = spawn(process.execPath, [...process.execArgv, ...missing, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [RESPAWNED]: '1' },
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 128 + (SIGNAL_NUMBERS[signal] ?? 1) : 1);
    process.exit();
  });
  child.on('error', (e) => {
    process.stderr.write(`Could not start node with ${missing.join(' ')}: ${e.message}\n`);
    process.exit(1);
  });
  return true;
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
