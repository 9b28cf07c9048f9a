import type { Client } from './context.js';
import type { CommandSpec } from './table.js';
import { ERR_NOAUTH, errSubscribedContext, errUnknownCommand, errUnknownSubcommand, errWrongArity } from './errors.js';
import { ALLOWED_WHILE_SUBSCRIBED } from './pubsub.js';

/**
 * The only place that checks a command before it runs, in Redis 7.0's order
 * (processCommand): existence (and subcommand), arity, authentication (while requirepass
 * is set), pub/sub mode (a RESP2 subscriber runs only what ALLOWED_WHILE_SUBSCRIBED
 * lists). Then it runs the handler with one command time, counting calls and failures
 * for INFO.
 */
export function execute(c: Client, argv: string[]): void {
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
  if (!c.authenticated && server.authRequired && !cmd.flags.has('no_auth')) {
    reject(c, cmd, ERR_NOAUTH);
    return;
  }
  // Pub/sub: in RESP2 a subscribed client may only (un)subscribe, PING, QUIT or RESET;
  // RESP3 clients may run anything (their messages are pushes).
  if (c.subscriptions !== null && c.protocol === 2 && !ALLOWED_WHILE_SUBSCRIBED.has(cmd.fullName)) {
    reject(c, cmd, errSubscribedContext(cmd.fullName));
    return;
  }
  call(c, cmd, argv);
}

/**
 * Runs a command that passed the checks. As Redis's call(), the command is counted once
 * it has run, so INFO does not count itself and CONFIG RESETSTAT counts itself.
 */
export function call(c: Client, cmd: CommandSpec, argv: string[]): void {
  const server = c.server;
  const reply = c.reply;
  server.keyspace.tick();
  c.lastCommand = cmd.fullName;
  const errorsBefore = server.stats.totalErrorReplies;
  const mark = reply.mark();
  try {
    cmd.handler!(c, argv);
  } catch (e) {
    // A bug in one handler costs one reply, never the process or other clients.
    reply.rollback(mark);
    const message = e instanceof Error ? e.message : String(e);
    server.log('warning', `Error running '${cmd.fullName}': ${e instanceof Error ? (e.stack ?? message) : message}`);
    reply.error(`ERR internal error running '${cmd.fullName}': ${message}`);
  }
  if (server.stats.totalErrorReplies !== errorsBefore) cmd.failedCalls++;
  cmd.calls++;
  server.stats.totalCommandsProcessed++;
}

function reject(c: Client, cmd: CommandSpec | undefined, error: string): void {
  if (cmd) cmd.rejectedCalls++;
  c.reply.error(error);
}
