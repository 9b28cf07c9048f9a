import { NO_PROPAGATION, type Client } from './context.js';
import type { CommandSpec } from './table.js';
import type { ProtectingParam } from './declare.js';
import {
  ERR_MISCONF,
  ERR_MASTERDOWN,
  ERR_NOREPLICAS,
  ERR_READONLY_REPLICA,
  ERR_NOAUTH,
  ERR_OOM,
  ERR_NOT_ALLOWED_IN_MULTI,
  errExecRejected,
  errSubscribedContext,
  errUnknownCommand,
  errUnknownSubcommand,
  errProtectedCommand,
  errWrongArity,
  errInternal,
} from './errors.js';
import { ALLOWED_WHILE_SUBSCRIBED } from './pubsub-commands.js';
import { logCommandDenied, nopermError } from './acl-denials.js';
import { ACL_OK } from '../acl/user.js';
import { discardTransaction, flagTransaction, isQueued, queueCommand } from './multi-state.js';
import type { CommandFlag } from './declare.js';
import type { ScriptRun } from '../scripting/script-run.js';
import {
  SCRIPT_NOSCRIPT_COMMAND,
  SCRIPT_UNKNOWN_COMMAND,
  SCRIPT_WRITE_IN_READONLY,
  SCRIPT_WRONG_ARITY,
  scriptAclDenied,
} from '../scripting/script-errors.js';
import { aclErrorMessage } from './acl-denials.js';
import { busyError, busyRun, currentRun } from './script-busy.js';
import { feedMonitors, feedMonitorsBefore } from './monitor-commands.js';
import { PAUSE_ALL, PAUSE_OFF } from './client-pause.js';

/**
 * The only place that checks a command before it runs, in Redis 7.0's order
 * (processCommand): existence (and subcommand), arity, authentication (while the default
 * user has a password), no_multi inside MULTI, the user's permissions (ACL), maxmemory
 * (evict, then refuse what may grow memory with OOM), writes refused after a failed
 * background save (MISCONF; PING too, as in Redis), pub/sub mode (a RESP2 subscriber runs only what
 * ALLOWED_WHILE_SUBSCRIBED lists), BUSY while a script is timed out (only allow_busy
 * commands run), CLIENT PAUSE (the client is parked); then, inside MULTI, queueing
 * instead of running. A
 * command that runs gets one command time, and its calls and failures are counted for
 * INFO.
 */
export function execute(c: Client, argv: string[]): void {
  const stream = c.server.writeStream;
  const offset = c.server.replication.offset;
  stream.executing = true;
  // Client-side caching (tracking.ts): with no tracking client, this one test.
  const tracking = c.server.tracking;
  const tracked = tracking.clientCount !== 0;
  try {
    executeCommand(c, argv, tracked);
  } finally {
    stream.executing = false;
    // The command's invalidations for its own client follow its reply (Redis's afterCommand).
    if (tracked) tracking.afterCommand(c);
  }
  // The execution unit ends with the top-level command: what it wrote goes to the write
  // stream now (a suspended script's, when the script ends: script-busy.ts).
  // (Only a unit of several commands asks which command it was: no string work per write.)
  if (stream.hasPending && currentRun(c.server) === null) stream.flush(stream.pendingSeveral && TOUCHES_ARBITRARY_KEYS.has(argv[0]!.toLowerCase()));
  // What WAIT waits for: the stream's offset after this client's last write (Redis's woff).
  if (c.server.replication.offset !== offset) c.woff = c.server.replication.offset;
  // Keys the command (or EXEC's commands) created that clients wait on are served now,
  // after it, as Redis's processCommand does after call(); while a script is suspended,
  // once it ends (script-busy.ts), so that nothing changes the keyspace under it.
  const blocking = c.server.blocking;
  if (blocking.hasReady && currentRun(c.server) === null) {
    // Serving them is not this command's time (Redis serves them after call()).
    c.server.commandTimer.close();
    blocking.handleReady();
  }
}

function executeCommand(c: Client, argv: string[], tracked: boolean): void {
  const server = c.server;
  let cmd = server.commands.lookup(argv[0]!);
  if (cmd === undefined) {
    c.lastCommand = 'NULL';
    reject(c, undefined, errUnknownCommand(argv));
    return;
  }
  if (cmd.subcommands !== undefined && argv.length >= 2) {
    const sub = cmd.subcommands.get(argv[1]!.toLowerCase());
    if (sub === undefined) {
      c.lastCommand = 'NULL';
      reject(c, undefined, errUnknownSubcommand(cmd.name, argv[1]!));
      return;
    }
    cmd = sub;
  }
  // As Redis, a command that is then rejected still counts as the client's last one.
  c.lastCommand = cmd.fullName;
  const arity = cmd.arity;
  if (arity > 0 ? argv.length !== arity : argv.length < -arity) {
    reject(c, cmd, errWrongArity(cmd.fullName));
    return;
  }
  if (cmd.protectedBy !== undefined && !protectedAllowed(c, cmd.protectedBy)) {
    reject(c, cmd, errProtectedCommand(cmd.protectedBy));
    return;
  }
  if (!c.authenticated && server.authRequired && !cmd.flags.has('no_auth')) {
    reject(c, cmd, ERR_NOAUTH);
    return;
  }
  // MULTI (transaction-commands.ts): commands that may not be queued are refused right after
  // authentication; the decision to queue comes after every other check, as in Redis.
  if (c.multi !== null && cmd.flags.has('no_multi')) {
    reject(c, cmd, ERR_NOT_ALLOWED_IN_MULTI);
    return;
  }
  // ACL: the user may run this command on these keys and channels. A user with every
  // permission (the default user) costs this one flag test.
  if (!c.user.unrestricted) {
    const result = c.user.check(cmd, argv);
    if (result !== ACL_OK) {
      logCommandDenied(c, cmd, argv, result);
      reject(c, cmd, nopermError(result, cmd));
      return;
    }
  }
  // Not while a script is timed out (Redis's isInsideYieldingLongCommand): no eviction
  // under it, and its pre-command OOM state stays the one its own command found.
  const busy = busyRun(server);
  if (server.memory.maxmemory > 0 && busy === null) {
    const oom = server.memory.performEvictions() === 'fail';
    // Redis's pre_command_oom_state: a script's first write is refused on it (scriptVerifyOOM).
    server.scripts.preCommandOom = oom;
    if (oom && !c.isPrimary && rejectedOnOom(c, cmd, flagsOf(c, cmd, argv))) {
      reject(c, cmd, ERR_OOM);
      return;
    }
  }
  // tracking-table-max-keys, after eviction as in Redis (trackingLimitUsedSlots).
  if (tracked) server.tracking.limitUsedSlots();
  if (server.persistence.writesDenied && !c.isPrimary && (writes(c, cmd, argv) || cmd.fullName === 'ping')) {
    reject(c, cmd, ERR_MISCONF);
    return;
  }
  // min-replicas-to-write: not enough replicas within min-replicas-max-lag.
  if (server.replication.writesRefused && !c.isPrimary && writes(c, cmd, argv)) {
    reject(c, cmd, ERR_NOREPLICAS);
    return;
  }
  const link = server.primaryLink;
  if (link.isReplica && !c.isPrimary) {
    // A read-only replica takes writes only from its primary.
    if (server.config.bool('replica-read-only') && writes(c, cmd, argv)) {
      reject(c, cmd, ERR_READONLY_REPLICA);
      return;
    }
    // replica-serve-stale-data no: while the link is down, only commands flagged stale.
    if (!link.linkUp && !server.config.bool('replica-serve-stale-data') && deniedWhileStale(c, cmd, argv)) {
      reject(c, cmd, ERR_MASTERDOWN);
      return;
    }
  }
  // Pub/sub: in RESP2 a subscribed client may only (un)subscribe, PING, QUIT or RESET;
  // RESP3 clients may run anything (their messages are pushes).
  if (c.subscriptions !== null && c.protocol === 2 && !ALLOWED_WHILE_SUBSCRIBED.has(cmd.fullName)) {
    reject(c, cmd, errSubscribedContext(cmd.fullName));
    return;
  }
  // A script past busy-reply-threshold is suspended (script-busy.ts): only what Redis
  // lets through (allow_busy: SCRIPT KILL, FUNCTION KILL, SHUTDOWN, AUTH, HELLO, MULTI,
  // DISCARD, WATCH, UNWATCH, QUIT, RESET ...) runs meanwhile.
  if (busy !== null && !cmd.flags.has('allow_busy')) {
    reject(c, cmd, busyError(busy));
    return;
  }
  // CLIENT PAUSE (client-pause.ts), the last check, as in Redis 7.0: under ALL every
  // command waits, under WRITE those that may write or replicate; never a replica's (the
  // primary's client on a replica waits too: its stream is held, replica.ts).
  const pause = server.pause;
  if (pause.type !== PAUSE_OFF && !c.isReplica && (pause.type === PAUSE_ALL || mayReplicate(c, cmd, argv))) {
    pause.park(c, argv);
    return;
  }
  if (c.multi !== null && isQueued(cmd)) {
    queueCommand(c, cmd, argv);
    return;
  }
  if (tracked) {
    // From here the client's own invalidations wait for the end of the command (Redis's
    // fixed_time_expire), and what it read is remembered once it ran.
    server.tracking.deferSelf = true;
    call(c, cmd, argv);
    trackRead(c, cmd, argv);
  } else {
    call(c, cmd, argv);
  }
}

/**
 * Client-side caching (tracking.ts): a `readonly` command's keys are remembered for the
 * tracking client that read them, as Redis's call() does for every command, nested ones
 * (EXEC's, a script's) included.
 */
function trackRead(c: Client, cmd: CommandSpec, argv: string[]): void {
  if (cmd.flags.has('readonly')) c.server.tracking.afterRead(c, cmd, argv);
}

/** The flags a command runs with: EVAL and FCALL take the flags their script declares (Redis's getCommandFlags). */
function flagsOf(c: Client, cmd: CommandSpec, argv: string[]): ReadonlySet<CommandFlag> {
  return cmd.flagsFor === undefined ? cmd.flags : (cmd.flagsFor(c, argv) ?? cmd.flags);
}

/**
 * Commands that may expire any number of keys they did not name (Redis 7.0's
 * CMD_TOUCHES_ARBITRARY_KEYS): run directly, their DELs go out without MULTI/EXEC, as
 * active expiry's do.
 */
const TOUCHES_ARBITRARY_KEYS: ReadonlySet<string> = new Set(['scan', 'randomkey']);

/** Whether EXEC runs this command (the top-level EXEC, not a subcommand of that name). */
function isExec(cmd: CommandSpec): boolean {
  return cmd.name === 'exec' && cmd.parent === undefined;
}

/**
 * Whether the command's flags (a script's declared ones for EVAL and FCALL) pass `test`,
 * or, for EXEC, those of a command it queued: processCommand's is_write_command (so a
 * transaction queued before the server refused writes is refused whole at EXEC) and
 * is_may_replicate_command.
 */
function flagged(c: Client, cmd: CommandSpec, argv: string[], test: (flags: ReadonlySet<CommandFlag>) => boolean): boolean {
  if (test(flagsOf(c, cmd, argv))) return true;
  return isExec(cmd) && c.multi !== null && c.multi.queue.some((q) => test(flagsOf(c, q.cmd, q.argv)));
}

const isWrite = (flags: ReadonlySet<CommandFlag>): boolean => flags.has('write');
/** Writes or may reach the replication stream (PUBLISH, EVAL of a script without no-writes). */
const isMayReplicate = (flags: ReadonlySet<CommandFlag>): boolean => flags.has('write') || flags.has('may_replicate');

function writes(c: Client, cmd: CommandSpec, argv: string[]): boolean {
  return flagged(c, cmd, argv, isWrite);
}

function mayReplicate(c: Client, cmd: CommandSpec, argv: string[]): boolean {
  return flagged(c, cmd, argv, isMayReplicate);
}

const isNotStale = (flags: ReadonlySet<CommandFlag>): boolean => !flags.has('stale');

/**
 * processCommand's is_denystale_command: not flagged stale (a script with a shebang is
 * only with allow-stale), or EXEC of a command that is not.
 */
function deniedWhileStale(c: Client, cmd: CommandSpec, argv: string[]): boolean {
  return flagged(c, cmd, argv, isNotStale);
}

/** Commands a client in MULTI may still send while memory is over maxmemory (processCommand). */
const ALLOWED_IN_MULTI_ON_OOM: ReadonlySet<string> = new Set(['exec', 'discard', 'quit', 'reset']);

/**
 * Whether a command is refused while used memory is over maxmemory and nothing can be
 * evicted, as Redis's processCommand decides: a denyoom command (one that may add
 * memory), an EXEC whose queue holds one, and inside MULTI anything but EXEC, DISCARD,
 * QUIT and RESET (queueing costs memory too).
 */
function rejectedOnOom(c: Client, cmd: CommandSpec, flags: ReadonlySet<CommandFlag>): boolean {
  if (flags.has('denyoom')) return true;
  const multi = c.multi;
  if (multi === null) return false;
  if (cmd.name === 'exec' && cmd.parent === undefined) return multi.queue.some((q) => flagsOf(c, q.cmd, q.argv).has('denyoom'));
  return cmd.parent !== undefined || !ALLOWED_IN_MULTI_ON_OOM.has(cmd.name);
}

/**
 * Runs a command that passed the checks, with a fresh command time. As Redis's call(),
 * the command is counted once it has run, so INFO does not count itself and CONFIG
 * RESETSTAT counts itself.
 */
function call(c: Client, cmd: CommandSpec, argv: string[]): void {
  const server = c.server;
  // One clock read: the command's time and the start of its duration (command-timing.ts).
  server.keyspace.tickAt(server.commandTimer.begin(c, cmd, argv));
  c.lastCommand = cmd.fullName;
  invoke(c, cmd, argv);
}

/**
 * Runs a command queued by MULTI, inside EXEC: as Redis's nested call(), with EXEC's
 * command time, and the client's last command stays EXEC. Timed on its own, as Redis
 * times each.
 */
export function runQueued(c: Client, cmd: CommandSpec, argv: string[]): void {
  const timer = c.server.commandTimer;
  const start = timer.startNested();
  invoke(c, cmd, argv);
  timer.endNested(start, c, cmd, argv);
  if (c.server.tracking.clientCount !== 0) trackRead(c, cmd, argv);
}

function invoke(c: Client, cmd: CommandSpec, argv: string[]): void {
  const server = c.server;
  const reply = c.reply;
  const stats = server.stats;
  c.errorsSeen = stats.totalErrorReplies;
  const mark = reply.mark();
  // A write command that changed the dataset (Redis's dirty counter moved) goes to the
  // write stream, as sent or as its handler rewrote it (call()'s propagation).
  const stream = server.writeStream;
  const keyspace = server.keyspace;
  const dirty = stream.active ? keyspace.changesSinceSave : 0;
  c.propagateAs = null;
  c.forcePropagation = false;
  if (server.monitors.size !== 0) feedMonitorsBefore(c, cmd, argv);
  try {
    cmd.handler!(c, argv);
    if (stream.active && c.propagateAs !== NO_PROPAGATION && ((keyspace.changesSinceSave !== dirty && cmd.flags.has('write')) || c.forcePropagation)) {
      stream.propagate(c.db.index, c.propagateAs ?? argv);
    }
    // Read: a command that runs others (EXEC) must not see the last one's.
    c.propagateAs = null;
    c.forcePropagation = false;
    if (server.monitors.size !== 0) feedMonitors(c, cmd, argv);
  } catch (e) {
    // A bug in one handler costs one reply, never the process or other clients.
    reply.rollback(mark);
    const message = e instanceof Error ? e.message : String(e);
    server.log('warning', `Error running '${cmd.fullName}': ${e instanceof Error ? (e.stack ?? message) : message}`);
    reply.error(errInternal(cmd.fullName, message));
  }
  // Greater, not different: CONFIG RESETSTAT sets the count back to 0.
  if (stats.totalErrorReplies > c.errorsSeen) cmd.failedCalls++;
  c.errorsSeen = stats.totalErrorReplies;
  cmd.calls++;
  stats.totalCommandsProcessed++;
}

/**
 * A command called by a script (redis.call/pcall), on the script's client: Redis's
 * scriptCall. Its checks, in Redis's order: the command exists (a container's
 * subcommand too) and its arity holds, it is allowed in scripts (no `noscript` flag),
 * the calling user may run it (the script client carries the caller's user), a
 * read-only run (EVAL_RO, a no-writes script) runs no write, and until the script has
 * written: no write while saves fail (MISCONF) and no denyoom command when the command
 * that started the script found memory full (unless the script is allow-oom). Then it
 * runs with the script's command time, through the same handler a client reaches, so
 * WATCH, keyspace events, maxmemory accounting and the snapshot see its changes.
 * Returns null once it ran (its reply written), else the refusal as Redis words it.
 */
export function executeFromScript(sc: Client, argv: string[], run: ScriptRun): string | null {
  const server = sc.server;
  let cmd = server.commands.lookup(argv[0]!);
  if (cmd !== undefined && cmd.subcommands !== undefined && argv.length >= 2) cmd = cmd.subcommands.get(argv[1]!.toLowerCase());
  if (cmd === undefined) return SCRIPT_UNKNOWN_COMMAND;
  const refusal = scriptRefusal(sc, cmd, argv, run);
  if (refusal !== null) {
    // Counted as Redis's incrCommandStatsOnError(cmd, ERROR_COMMAND_REJECTED).
    cmd.rejectedCalls++;
    return refusal;
  }
  if (cmd.flags.has('write')) run.wroteData = true;
  sc.lastCommand = cmd.fullName;
  // Keys the script client changes are its own (BCAST NOLOOP: not the caller's).
  const tracking = server.tracking;
  tracking.inScriptCommand = true;
  const timer = server.commandTimer;
  const start = timer.startNested();
  try {
    invoke(sc, cmd, argv);
  } finally {
    tracking.inScriptCommand = false;
  }
  timer.endNested(start, sc, cmd, argv);
  if (tracking.clientCount !== 0) trackRead(sc, cmd, argv);
  return null;
}

/** scriptCall's checks after the lookup, in its order: the refusal, or null. */
function scriptRefusal(sc: Client, cmd: CommandSpec, argv: string[], run: ScriptRun): string | null {
  const server = sc.server;
  const arity = cmd.arity;
  if (arity > 0 ? argv.length !== arity : argv.length < -arity) return SCRIPT_WRONG_ARITY;
  const flags = cmd.flags;
  if (flags.has('noscript') && !server.scriptDenyDisabled) return SCRIPT_NOSCRIPT_COMMAND;
  if (!sc.user.unrestricted) {
    const result = sc.user.check(cmd, argv);
    if (result !== ACL_OK) {
      logCommandDenied(sc, cmd, argv, result);
      return scriptAclDenied(aclErrorMessage(result));
    }
  }
  const write = flags.has('write');
  if (run.readOnly && (write || flags.has('may_replicate'))) return SCRIPT_WRITE_IN_READONLY;
  if (write && !run.wroteData && server.persistence.writesDenied) return `-${ERR_MISCONF}`;
  if (write && server.primaryLink.isReplica && server.config.bool('replica-read-only')) return `-${ERR_READONLY_REPLICA}`;
  if (write && server.replication.writesRefused) return `-${ERR_NOREPLICAS}`;
  const allowOom = run.flags.allowOom && !run.flags.compat;
  if (!allowOom && !run.wroteData && server.memory.maxmemory > 0 && server.scripts.preCommandOom && flags.has('denyoom')) {
    return `-${ERR_OOM}`;
  }
  return null;
}

/**
 * Redis's allowProtectedAction: a protected command (DEBUG) runs when its parameter is
 * yes, or local and the client is on a loopback address.
 */
function protectedAllowed(c: Client, param: ProtectingParam): boolean {
  const mode = c.server.config.string(param);
  if (mode === 'yes') return true;
  if (mode !== 'local') return false;
  const addr = c.transport.remoteAddress;
  return addr.startsWith('127.0.0.1:') || addr.startsWith('[::1]:');
}

/**
 * Refuses a command before it runs. As Redis's rejectCommand, a refusal inside MULTI
 * makes EXEC fail, and a refused EXEC ends the transaction with EXECABORT and the reason.
 */
function reject(c: Client, cmd: CommandSpec | undefined, error: string): void {
  flagTransaction(c);
  if (cmd === undefined) {
    c.reply.error(error);
    return;
  }
  cmd.rejectedCalls++;
  if (cmd.name === 'exec' && cmd.parent === undefined) {
    discardTransaction(c);
    c.reply.error(errExecRejected(error));
  } else {
    c.reply.error(error);
  }
}
