import type { Client, ServerContext } from './context.js';
import type { ScriptRun } from '../scripting/script-run.js';
import { ERR_BUSY_EVAL, ERR_BUSY_FUNCTION, ERR_NOTBUSY, ERR_UNKILLABLE } from './errors.js';

/**
 * A script past busy-reply-threshold, on the commands side (Redis 7.0's scriptInterrupt,
 * processEventsWhileBlocked and scriptKill). The engine (scripting/script-engine.ts)
 * suspends such a run between slices; here:
 *
 * - The caller is held (holdForScript): its reply and what it sends meanwhile wait, as a
 *   blocked client's do (the connection holds its input while `blocked`), so its
 *   pipelined commands run after the script's reply, in order.
 * - The run is resumed from setImmediate, so each turn of the event loop between two
 *   slices reads sockets, accepts connections and answers: the dispatcher gives every
 *   command BUSY except the allow_busy ones (dispatch.ts), SCRIPT KILL stops a script
 *   that has not written, SHUTDOWN NOSAVE closes the server.
 * - Nothing else changes the keyspace meanwhile, so the script stays atomic: the timer
 *   wheels are held (no active expiry; Redis runs no serverCron then either), the cron
 *   does nothing (server.ts), keys made ready for blocked clients are served only once
 *   the script ends, and each slice runs with the script's own command time (Redis
 *   freezes a script's time at its start).
 * - When the script ends its reply, and what the command that ran it still had to do
 *   (EXEC's remaining commands: `afterScript`), are written and handed to the caller's
 *   connection, which then goes on with what it sent meanwhile.
 */

/**
 * The script run in progress (running, or suspended between slices), whichever engine
 * runs it (EVAL's or FUNCTION's): the one place that lists the engines.
 */
export function currentRun(server: ServerContext): ScriptRun | null {
  return server.scripts.running ?? server.functions.run;
}

/** The run past busy-reply-threshold, if any (Redis's isInsideYieldingLongCommand for scripts). */
export function busyRun(server: ServerContext): ScriptRun | null {
  return server.scripts.busy ?? server.functions.busy;
}

/** BUSY as Redis words it for the kind of run (processCommand's slowevalerr / slowscripterr). */
export function busyError(run: ScriptRun): string {
  return run.mode === 'eval' ? ERR_BUSY_EVAL : ERR_BUSY_FUNCTION;
}

/**
 * SCRIPT KILL (isEval) and FUNCTION KILL: Redis's scriptKill. Stops the timed-out run at
 * its next slice; its caller gets "ERR Script killed by user with SCRIPT KILL...".
 */
export function scriptKill(c: Client, isEval: boolean): void {
  const run = currentRun(c.server);
  if (run === null) {
    c.reply.error(ERR_NOTBUSY);
    return;
  }
  if (run.wroteData) {
    c.reply.error(ERR_UNKILLABLE);
    return;
  }
  // Each KILL stops only its own kind of run, and says what the other would need.
  if (isEval && run.mode !== 'eval') {
    c.reply.error(ERR_BUSY_FUNCTION);
    return;
  }
  if (!isEval && run.mode === 'eval') {
    c.reply.error(ERR_BUSY_EVAL);
    return;
  }
  run.kill();
  c.reply.simple('OK');
}

/**
 * The script c's command started was suspended (the engine's run() returned false):
 * `then` runs once it has ended and its reply is written (after any registered before
 * it, which are inner). The first call holds c and starts resuming the run.
 */
export function holdForScript(c: Client, then: () => void): void {
  if (c.afterScript !== null) {
    c.afterScript.push(then);
    return;
  }
  c.afterScript = [then];
  c.blocked = true;
  const keyspace = c.server.keyspace;
  keyspace.holdExpiry(true);
  nextSlice(c, keyspace.now);
}

/** Resumes the suspended run on the next turn of the event loop. */
function nextSlice(c: Client, commandTime: number): void {
  setImmediate(() => slice(c, commandTime));
}

function slice(c: Client, commandTime: number): void {
  const server = c.server;
  const after = c.afterScript;
  const run = currentRun(server);
  // The server closed (SHUTDOWN NOSAVE): the run was dropped with the engine.
  if (after === null || run === null) return;
  const engine = run.mode === 'eval' ? server.scripts : server.functions;
  const reply = server.reply;
  const protocol = reply.protocol;
  reply.protocol = c.protocol;
  const mark = reply.mark();
  server.keyspace.setCommandTime(commandTime);
  let done = false;
  // The slice belongs to the script's execution unit (write-stream.ts).
  server.writeStream.executing = true;
  try {
    c.errorsSeen = server.stats.totalErrorReplies;
    done = engine.resume();
    // The script ended: what its command had left, then what EXEC had left (which may
    // start another script that is suspended in turn: then the rest waits for that one).
    while (done && after.length > 0) {
      after.shift()!();
      if (currentRun(server) !== null) done = false;
    }
  } catch (e) {
    // A bug must not leave the caller held for ever: it gets an error, the rest is dropped.
    const message = e instanceof Error ? e.message : String(e);
    server.log('warning', `Error resuming a script: ${e instanceof Error ? (e.stack ?? message) : message}`);
    reply.error(`ERR internal error resuming the script: ${message}`);
    after.length = 0;
    done = currentRun(server) === null;
  } finally {
    reply.protocol = protocol;
    server.writeStream.executing = false;
  }
  const bytes = reply.cut(mark);
  if (bytes.length !== 0) c.transport.push(bytes);
  if (!done) {
    nextSlice(c, commandTime);
    return;
  }
  c.afterScript = null;
  c.blocked = false;
  // The script's execution unit ends with it: its writes go to the write stream now.
  if (server.writeStream.hasPending && currentRun(server) === null) server.writeStream.flush();
  server.keyspace.holdExpiry(false);
  // Clients blocked on keys the script created are served now, as after any command.
  if (server.blocking.hasReady) server.blocking.handleReady();
  c.transport.unblocked();
}
