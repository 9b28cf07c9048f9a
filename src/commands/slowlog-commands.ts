import type { Client } from './context.js';
import { cmd, container, type CommandDefinition } from './declare.js';
import { ERR_SLOWLOG_COUNT, errSubcommandSyntax } from './errors.js';
import { replyHelp, type HelpEntry } from './help.js';
import { parseI64 } from '../util/numbers.js';

/**
 * SLOWLOG GET [count]: the newest `count` entries (10 by default, -1 for all), each
 * [id, unix time, µs, arguments, client address, client name].
 */
function slowlogGet(c: Client, argv: string[]): void {
  if (argv.length > 3) {
    c.reply.error(errSubcommandSyntax(argv[0]!, argv[1]!));
    return;
  }
  const log = c.server.commandTimer.slowlog;
  let count = 10;
  if (argv.length === 3) {
    const n = parseI64(argv[2]!);
    if (n === undefined || n < -1) {
      c.reply.error(ERR_SLOWLOG_COUNT);
      return;
    }
    // -1: all of them. Counts beyond 2^53 are as good as all of them too.
    count = n === -1 ? log.length : Number(n);
  }
  const entries = log.newest(count);
  const r = c.reply;
  r.arrayHeader(entries.length);
  for (const e of entries) {
    r.arrayHeader(6);
    r.integer(e.id);
    r.integer(e.time);
    r.integer(e.duration);
    r.arrayHeader(e.argv.length);
    for (const a of e.argv) r.bulk(a);
    r.bulk(e.peer);
    r.bulk(e.name);
  }
}

/** SLOWLOG LEN */
function slowlogLen(c: Client): void {
  c.reply.integer(c.server.commandTimer.slowlog.length);
}

/** SLOWLOG RESET */
function slowlogReset(c: Client): void {
  c.server.commandTimer.slowlog.reset();
  c.reply.simple('OK');
}

const SLOWLOG_HELP: readonly HelpEntry[] = [
  [
    'get',
    [
      'GET [<count>]',
      '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
      '    Entries are made of:',
      '    id, timestamp, time in microseconds, arguments array, client IP and port,',
      '    client name',
    ],
  ],
  ['len', ['LEN', '    Return the length of the slowlog.']],
  ['reset', ['RESET', '    Reset the slowlog.']],
];

/** SLOWLOG HELP */
function slowlogHelp(c: Client, argv: string[]): void {
  replyHelp(c, argv, SLOWLOG_HELP);
}

const ALL_NODES = 'request_policy:all_nodes';

export const SLOWLOG_COMMANDS: CommandDefinition[] = [
  /** SLOWLOG */
  container('slowlog', -2, [
    /** SLOWLOG GET [count] */
    cmd('get', -2, 'admin loading stale', { tips: `${ALL_NODES} nondeterministic_output` }, slowlogGet),
    /** SLOWLOG LEN */
    cmd('len', 2, 'admin loading stale', { tips: `${ALL_NODES} response_policy:agg_sum nondeterministic_output` }, slowlogLen),
    /** SLOWLOG RESET */
    cmd('reset', 2, 'admin loading stale', { tips: `${ALL_NODES} response_policy:all_succeeded` }, slowlogReset),
    /** SLOWLOG HELP */
    cmd('help', 2, 'loading stale', slowlogHelp),
  ]),
];
