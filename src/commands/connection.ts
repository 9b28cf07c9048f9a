import type { Client } from './context.js';
import type { CommandDefinition } from './table.js';
import { ERR_DB_INDEX, ERR_INT_RANGE, ERR_NOT_INTEGER, errWrongArity } from './errors.js';
import { parseIntArg } from '../util/numbers.js';

/** PING [message] */
function ping(c: Client, argv: string[]): void {
  const r = c.reply;
  if (argv.length > 2) {
    r.error(errWrongArity('ping'));
    return;
  }
  if (argv.length === 1) r.simple('PONG');
  else r.bulk(argv[1]!);
}

/** ECHO message */
function echo(c: Client, argv: string[]): void {
  c.reply.bulk(argv[1]!);
}

/** QUIT: answers OK, then closes the connection once the reply is written. */
function quit(c: Client): void {
  c.reply.simple('OK');
  c.closeAfterReply = true;
}

/** SELECT index */
function select(c: Client, argv: string[]): void {
  const index = parseIntArg(argv[1]!);
  if (Number.isNaN(index)) {
    c.reply.error(ERR_NOT_INTEGER);
    return;
  }
  if (index < -2147483648 || index > 2147483647) {
    c.reply.error(ERR_INT_RANGE);
    return;
  }
  const db = c.server.keyspace.dbs[index];
  if (index < 0 || db === undefined) {
    c.reply.error(ERR_DB_INDEX);
    return;
  }
  c.db = db;
  c.reply.simple('OK');
}

export const CONNECTION_COMMANDS: CommandDefinition[] = [
  { name: 'ping', arity: -1, handler: ping },
  { name: 'echo', arity: 2, handler: echo },
  { name: 'quit', arity: -1, handler: quit },
  { name: 'select', arity: 2, handler: select },
];
