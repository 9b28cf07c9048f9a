import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

/**
 * maxclients and the process's open-file limit, as Redis's adjustOpenFilesLimit
 * (server.c): serving maxclients clients takes maxclients + 32 descriptors (the 32 for
 * listeners, files and the runtime's own). If the soft limit is lower, it is raised to
 * that when the system allows it; otherwise maxclients is lowered to what the limit
 * allows, with Redis's log lines, so extra clients get "-ERR max number of clients
 * reached" instead of a connection the kernel refuses to accept.
 *
 * Node has no getrlimit/setrlimit. The limits are read from /proc/self/limits (or, where
 * there is no /proc, from a shell's `ulimit`, which inherits them) and the soft limit
 * is raised with util-linux's prlimit(1) on this process (a process may raise its own
 * soft limit up to its hard limit; past it only with CAP_SYS_RESOURCE). No npm package
 * does this without a native addon. Node itself raises the soft limit to the hard one
 * when it starts, so the raise is needed only when something lowered the soft limit
 * since, or with the privilege to raise the hard limit.
 *
 * Redis sets both limits to the value it settles on (lowering the hard limit with it);
 * lapse raises the soft limit and leaves the hard one alone unless it must go up: the
 * maxclients that results and the log lines are the same, and an embedding process
 * keeps its hard limit.
 */

/** Descriptors kept for everything but clients (Redis's CONFIG_MIN_RESERVED_FDS). */
export const RESERVED_FDS = 32;

export interface OpenFilesLimit {
  soft: number;
  hard: number;
}

type Log = (level: 'warning' | 'notice', message: string) => void;

/** The process's RLIMIT_NOFILE, or why it could not be read. */
export function readOpenFilesLimit(): OpenFilesLimit | { error: string } {
  try {
    const text = fs.readFileSync('/proc/self/limits', 'latin1');
    const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
    if (m !== null) return { soft: limitValue(m[1]!), hard: limitValue(m[2]!) };
  } catch {
    // No /proc: ask a shell, which inherits this process's limits.
  }
  const r = spawnSync('sh', ['-c', 'ulimit -Sn; ulimit -Hn'], { encoding: 'latin1' });
  const words = r.status === 0 ? r.stdout.trim().split(/\s+/) : [];
  if (words.length === 2) return { soft: limitValue(words[0]!), hard: limitValue(words[1]!) };
  return { error: r.error?.message ?? (r.stderr.trim() || 'no /proc/self/limits and no shell') };
}

function limitValue(text: string): number {
  return text === 'unlimited' ? Infinity : Number(text);
}

/**
 * Sets this process's open-file limits with prlimit(1); null on success, else why not
 * in the words of setrlimit's errno where prlimit gives them.
 */
export function setOpenFilesLimit(soft: number, hard: number): string | null {
  const r = spawnSync('prlimit', ['--pid', String(process.pid), `--nofile=${soft}:${hard === Infinity ? 'unlimited' : hard}`], {
    encoding: 'latin1',
  });
  if (r.error) return `prlimit could not be run (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`;
  if (r.status !== 0) {
    // "prlimit: failed to set the NOFILE resource limit: Operation not permitted"
    const text = r.stderr.trim();
    return text.slice(text.lastIndexOf(': ') + 2) || `prlimit exited with ${r.status}`;
  }
  return null;
}

/** What setting the limits would do and how: the system calls, replaceable in tests. */
export interface OpenFilesSystem {
  read(): OpenFilesLimit | { error: string };
  set(soft: number, hard: number): string | null;
}

export const PROCESS_OPEN_FILES: OpenFilesSystem = { read: readOpenFilesLimit, set: setOpenFilesLimit };

/**
 * Redis's adjustOpenFilesLimit for `maxclients`: returns the maxclients the process can
 * serve (maxclients itself, or less), raising the soft limit when it can, with Redis's
 * log lines. Null when even one client cannot be served (Redis exits then; the line
 * saying so is logged).
 */
export function adjustOpenFilesLimit(maxclients: number, log: Log, system: OpenFilesSystem = PROCESS_OPEN_FILES): number | null {
  // As in Redis, in unsigned int: a maxclients within 32 of 2^32 wraps to a few
  // descriptors, which any limit allows (so CONFIG SET maxclients 4294967295 is accepted).
  const maxfiles = (maxclients + RESERVED_FDS) % 2 ** 32;
  const limit = system.read();
  if ('error' in limit) {
    log(
      'warning',
      `Unable to obtain the current NOFILE limit (${limit.error}), assuming 1024 and setting the max clients configuration accordingly.`,
    );
    return 1024 - RESERVED_FDS;
  }
  const old = limit.soft;
  if (old >= maxfiles) return maxclients;
  // Redis tries setrlimit(cur = max = maxfiles), then 16 less each time while above the
  // current limit, and keeps the first that works. Without CAP_SYS_RESOURCE that is the
  // first not above the hard limit; with it, maxfiles itself. So: maxfiles (raising the
  // hard limit only if it must, which needs the privilege), else the largest value of
  // that sequence under the hard limit, else the current limit.
  let error = system.set(maxfiles, Math.max(limit.hard, maxfiles));
  if (error === null) {
    log('notice', `Increased maximum number of open files to ${maxfiles} (it was originally set to ${old}).`);
    return maxclients;
  }
  let best = old;
  if (maxfiles > limit.hard) {
    const underHard = maxfiles - Math.ceil((maxfiles - limit.hard) / 16) * 16;
    if (underHard > old) {
      const failed = system.set(underHard, limit.hard);
      if (failed === null) best = underHard;
      else error = failed;
    }
  }
  if (best <= RESERVED_FDS) {
    log(
      'warning',
      `Your current 'ulimit -n' of ${old} is not enough for the server to start. Please increase your open file limit to at least ${maxfiles}. Exiting.`,
    );
    return null;
  }
  const reduced = best - RESERVED_FDS;
  log('warning', `You requested maxclients of ${maxclients} requiring at least ${maxfiles} max file descriptors.`);
  log('warning', `Server can't set maximum open files to ${maxfiles} because of OS error: ${error}.`);
  log(
    'warning',
    `Current maximum open files is ${best}. maxclients has been reduced to ${reduced} to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.`,
  );
  return reduced;
}
