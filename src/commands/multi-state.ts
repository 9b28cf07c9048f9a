/*
 * In the commands layer's one import cycle, type-only and kept on purpose: see the note at
 * the top of context.ts.
 */
import type { Client } from './context.js';
import type { CommandSpec } from './table.js';

/**
 * A client's transaction between MULTI and the end of its EXEC or DISCARD (Redis's
 * multi.c state): what the dispatcher queues (queueCommand), the errors it flags while
 * queueing (flagTransaction), and the end of a transaction (discardTransaction, also run
 * by RESET). The commands themselves are in transaction-commands.ts.
 */

/** A command queued since MULTI, run by EXEC. */
interface QueuedCommand {
  readonly cmd: CommandSpec;
  readonly argv: string[];
}

/** A client's state between MULTI and the end of its EXEC or DISCARD. */
export class MultiState {
  /** The queued commands (CLIENT LIST multi=). */
  readonly queue: QueuedCommand[] = [];
  /** A command was refused while queueing: EXEC answers EXECABORT (Redis's CLIENT_DIRTY_EXEC). */
  aborted = false;
  /** Redis's multi-mem: the bytes of the queued arguments plus a pointer per argument. */
  memory = 0;
  /** While EXEC runs the queue: the bytes of EXEC's own arguments (argv-mem, as in Redis). */
  execArgvMemory = -1;
}

/** Redis's sizeof(robj *): what multi-mem counts per queued argument besides its bytes. */
const POINTER_SIZE = 8;

/**
 * The commands that run at once inside MULTI instead of being queued (processCommand's
 * exceptions): the transaction's own commands, and QUIT and RESET.
 */
const RUN_IN_MULTI: ReadonlySet<string> = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);

/** Whether a command that passed the checks is queued rather than run (the client is in MULTI). */
export function isQueued(cmd: CommandSpec): boolean {
  return cmd.parent !== undefined || !RUN_IN_MULTI.has(cmd.name);
}

/**
 * Queues a command for EXEC and answers QUEUED. As Redis, a transaction that will fail
 * anyway (an error while queueing, a watched key changed) stores nothing more.
 */
export function queueCommand(c: Client, cmd: CommandSpec, argv: string[]): void {
  const multi = c.multi!;
  if (!multi.aborted && !c.watchDirty) {
    multi.queue.push({ cmd, argv });
    let bytes = POINTER_SIZE * argv.length;
    for (const a of argv) bytes += a.length;
    multi.memory += bytes;
  }
  c.reply.simple('QUEUED');
}

/** A command was refused while the client is in MULTI: its EXEC will fail (flagTransaction). */
export function flagTransaction(c: Client): void {
  if (c.multi !== null) c.multi.aborted = true;
}

/** Ends the transaction, if any, and forgets the watched keys (Redis's discardTransaction). */
export function discardTransaction(c: Client): void {
  c.multi = null;
  c.watchDirty = false;
  c.server.watches.unwatchAll(c);
}
