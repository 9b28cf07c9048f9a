import type { Protocol, ReplyWriter } from '../protocol/writer.js';
import type { ScriptFlags } from './script-flags.js';
import { ERR_SCRIPT_KILLED } from './script-errors.js';

/**
 * What a script needs from the server while it runs, implemented by the commands layer
 * (scripting knows no command table and no client): run a command as the calling
 * client's user, and check a command against that user's ACL.
 */
export interface ScriptHost {
  /**
   * Runs argv as Redis's scriptCall does (its checks, then the command through the one
   * dispatch path): returns null once the command ran and wrote its reply to the run's
   * writer, in the run's protocol; or the refusal, worded as Redis's scriptCall `err`
   * ("Unknown Redis command called from script", "-OOM ..."), having written nothing.
   */
  call(argv: string[], run: ScriptRun): string | null;
  /** redis.acl_check_cmd: whether the calling user may run argv; null when no such command. */
  aclCheck(argv: string[]): boolean | null;
}

/** Redis's PROPAGATE_AOF and PROPAGATE_REPL, as redis.REPL_* exposes them. */
export const REPL_NONE = 0;
export const REPL_AOF = 1;
export const REPL_REPLICA = 2;
export const REPL_ALL = REPL_AOF | REPL_REPLICA;

/**
 * One run of a script (Redis's scriptRunCtx): made by the command that runs it, read by
 * the checks of each command the script calls.
 */
export class ScriptRun {
  /** The protocol the script's commands reply in (redis.setresp); Redis starts every run at 2. */
  resp: Protocol = 2;
  /** redis.set_repl flags: recorded for the write stream (replication comes later). */
  replFlags = REPL_ALL;
  /** Redis's SCRIPT_WRITE_DIRTY: a write command ran, so later ones cannot be refused for OOM or MISCONF. */
  wroteData = false;
  /**
   * Error replies the run sent that Redis leaves out of the error counts (an error a
   * command already counted, passed on by the script): the command that ran the script
   * counts itself failed for them (Redis's ERR_REPLY_FLAG_NO_STATS_UPDATE).
   */
  uncountedErrors = 0;
  /** When the run started (performance.now()). */
  readonly startedAt = performance.now();
  /**
   * EVAL's run or a function's (FCALL): which BUSY text others get and which KILL stops
   * it (Redis's SCRIPT_EVAL_MODE).
   */
  mode: 'eval' | 'function' = 'eval';
  /**
   * Redis's SCRIPT_TIMEDOUT: the run passed busy-reply-threshold. From then on it runs in
   * slices between event loop turns, and other clients get BUSY (script-engine.ts).
   */
  timedOut = false;
  /**
   * Set by SCRIPT KILL (Redis's SCRIPT_KILLED) or by the engine: the error the hook raises
   * on every line from now on, so a pcall cannot catch it and go on. null while the run may go on.
   */
  stopError: string | null = null;
  /** The hook has raised stopError once (Redis logs the kill then; after, it is raised on every line). */
  stopRaised = false;
  /** When the current slice started (performance.now()); a timed-out run yields after SLICE_MS of it. */
  sliceStart = 0;
  /** Since when (performance.now()) the hook has found the run unable to yield; 0 when it could. */
  stuckSince = 0;
  /** Slices the run took (1 for a run that never passed the threshold). */
  slices = 1;

  /**
   * SCRIPT KILL / FUNCTION KILL's effect (scriptKill's last step; the caller checks the
   * rest): the run stops at the hook's next call with Redis's error, which pcall cannot
   * swallow. Whichever engine runs it reads the flag.
   */
  kill(): void {
    this.stopError ??= ERR_SCRIPT_KILLED;
  }

  constructor(
    /** The script's sha (Redis's funcname in error replies). */
    readonly sha: string,
    readonly flags: ScriptFlags,
    /** EVAL_RO/EVALSHA_RO, or a no-writes script: Redis's SCRIPT_READ_ONLY. */
    readonly readOnly: boolean,
    readonly host: ScriptHost,
    /** Where the script's commands and then the script's own reply are written. */
    readonly reply: ReplyWriter,
  ) {}
}
