import type { Client } from './context.js';
import { cmd, key, type CommandDefinition } from './declare.js';
import { runQueued } from './dispatch.js';
import { holdForScript } from './script-busy.js';
import { logCommandDenied, logReason } from './acl-denials.js';
import { MultiState, discardTransaction } from './multi-state.js';
import { ACL_OK } from '../acl/user.js';
import {
  ERR_DISCARD_WITHOUT_MULTI,
  ERR_EXEC_WITHOUT_MULTI,
  ERR_EXECABORT,
  ERR_MULTI_NESTED,
  ERR_WATCH_IN_MULTI,
  errNopermInExec,
} from './errors.js';

/**
 * MULTI EXEC DISCARD WATCH UNWATCH, with Redis 7.0's semantics (multi.c). A client's
 * transaction state and how the dispatcher queues into it are in multi-state.ts (so the
 * dispatcher imports no command group, and this file imports the dispatcher to run the
 * queue); the watch registry (watch.ts) marks clients whose watched keys changed.
 */

/** MULTI */
function multi(c: Client): void {
  if (c.multi !== null) {
    c.reply.error(ERR_MULTI_NESTED);
    return;
  }
  c.multi = new MultiState();
  c.reply.simple('OK');
}

/**
 * EXEC: runs the queued commands one after the other with no other client in between
 * and one command time for all (Redis's nested call()), each reply in place in the
 * array, errors included. A null array if a watched key changed, EXECABORT if a command
 * was refused while queueing.
 */
function exec(c: Client, argv: string[]): void {
  const multi = c.multi;
  if (multi === null) {
    c.reply.error(ERR_EXEC_WITHOUT_MULTI);
    return;
  }
  const watches = c.server.watches;
  if (!c.watchDirty && watches.expiredSinceWatch(c, c.server.keyspace.now)) c.watchDirty = true;
  if (multi.aborted || c.watchDirty) {
    if (multi.aborted) c.reply.error(ERR_EXECABORT);
    else c.reply.nullArray();
    discardTransaction(c);
    return;
  }
  watches.unwatchAll(c);
  multi.execArgvMemory = argv[0]!.length;
  const queue = multi.queue;
  c.reply.arrayHeader(queue.length);
  execFrom(c, queue, 0);
}

/**
 * Runs queue[from..] of EXEC, then ends the transaction. A script past
 * busy-reply-threshold suspends EXEC with it (script-busy.ts): the rest runs once the
 * script has ended, still with no other client's command in between (they get BUSY).
 */
function execFrom(c: Client, queue: MultiState['queue'], from: number): void {
  for (let i = from; i < queue.length; i++) {
    const { cmd, argv } = queue[i]!;
    // The user's rules may have changed since the command was queued: checked again.
    if (!c.user.unrestricted) {
      const result = c.user.check(cmd, argv);
      if (result !== ACL_OK) {
        logCommandDenied(c, cmd, argv, result);
        c.reply.error(errNopermInExec(logReason(result)));
        continue;
      }
    }
    runQueued(c, cmd, argv);
    if (c.afterScript !== null) {
      holdForScript(c, () => execFrom(c, queue, i + 1));
      return;
    }
  }
  discardTransaction(c);
}

/** DISCARD */
function discard(c: Client): void {
  if (c.multi === null) {
    c.reply.error(ERR_DISCARD_WITHOUT_MULTI);
    return;
  }
  discardTransaction(c);
  c.reply.simple('OK');
}

/** WATCH key [key ...]: keys of the current database. */
function watch(c: Client, argv: string[]): void {
  if (c.multi !== null) {
    c.reply.error(ERR_WATCH_IN_MULTI);
    return;
  }
  // A client already dirty will fail its EXEC: no point in watching more (Redis 7.0).
  if (!c.watchDirty) {
    const watches = c.server.watches;
    const now = c.server.keyspace.now;
    for (let j = 1; j < argv.length; j++) watches.watch(c, argv[j]!, now);
  }
  c.reply.simple('OK');
}

/** UNWATCH */
function unwatch(c: Client): void {
  c.server.watches.unwatchAll(c);
  c.watchDirty = false;
  c.reply.simple('OK');
}

export const TRANSACTION_COMMANDS: CommandDefinition[] = [
  /** MULTI */
  cmd('multi', 1, 'noscript loading stale fast allow_busy', { acl: 'transaction' }, multi),
  /** EXEC */
  cmd('exec', 1, 'noscript loading stale skip_slowlog', { acl: 'transaction' }, exec),
  /** DISCARD */
  cmd('discard', 1, 'noscript loading stale fast allow_busy', { acl: 'transaction' }, discard),
  /** WATCH key [key ...] */
  cmd('watch', -2, 'noscript loading stale fast allow_busy', { acl: 'transaction', keys: [key(1, 'RO', { last: -1 })] }, watch),
  /** UNWATCH */
  cmd('unwatch', 1, 'noscript loading stale fast allow_busy', { acl: 'transaction' }, unwatch),
];
