import type { Client } from './context.js';
import { cmd, type CommandDefinition } from './declare.js';
import type { User } from '../acl/user.js';
import {
  ERR_CLIENT_ID_POSITIVE,
  ERR_MAXAGE_NOT_INTEGER,
  ERR_MAXAGE_POSITIVE,
  ERR_NO_SUCH_CLIENT,
  ERR_NOT_INTEGER,
  ERR_PAUSE_MODE,
  ERR_SYNTAX,
  ERR_UNBLOCK_REASON,
  errNoSuchUser,
  errSubcommandSyntax,
  errUnknownClientType,
} from './errors.js';
import { optionName } from './args.js';
import { parseI64 } from '../util/numbers.js';
import { cString } from '../util/c-string.js';
import { PAUSE_ALL, PAUSE_WRITE, type PauseType } from './client-pause.js';
import { parseTimeoutMs } from './blocking.js';

/**
 * CLIENT subcommands that act on connections: KILL, UNBLOCK, PAUSE, UNPAUSE and NO-EVICT (networking.c).
 * Declared in connection-commands.ts's CLIENT container.
 */

/** Redis's client types by name (getClientTypeByName): replica and slave are one. */
const CLIENT_TYPE_NAMES: Readonly<Record<string, string>> = {
  normal: 'normal', slave: 'replica', replica: 'replica', pubsub: 'pubsub', master: 'master',
};

/** The type of a connected client (getClientType): pubsub while subscribed, else normal. */
function clientTypeOf(c: Client): string {
  if (c.isPrimary) return 'master';
  if (c.isReplica) return 'replica';
  return c.subscriptions !== null ? 'pubsub' : 'normal';
}


interface KillFilter {
  addr?: string;
  laddr?: string;
  type?: string;
  id?: number;
  user?: User;
  /** Seconds: only clients at least this old (Redis 7.4's MAXAGE). */
  maxAge?: number;
  skipMe: boolean;
}

/**
 * CLIENT KILL ip:port
 * CLIENT KILL [ID id] [TYPE normal|master|replica|pubsub] [USER name] [ADDR ip:port]
 *             [LADDR ip:port] [SKIPME yes|no] [MAXAGE seconds] ...
 *
 * The old form answers OK or "No such client" and may kill the caller; the filter form
 * answers how many clients it killed, all filters must match, and the caller is
 * skipped unless SKIPME no. Every filter is checked before anything is killed. A caller
 * that kills itself gets its reply first (close after reply). MAXAGE is Redis 7.4's;
 * Redis 7.0 answers it with a syntax error.
 */
function clientKill(c: Client, argv: string[]): void {
  const filter: KillFilter = { skipMe: true };
  const oldForm = argv.length === 3;
  if (oldForm) {
    filter.addr = argv[2]!;
    filter.skipMe = false;
  } else {
    for (let i = 2; i < argv.length; i += 2) {
      const option = optionName(argv[i]!);
      if (i + 1 >= argv.length) {
        c.reply.error(ERR_SYNTAX);
        return;
      }
      const value = argv[i + 1]!;
      if (option === 'id') {
        const id = parseI64(value);
        if (id === undefined || id < 1) {
          c.reply.error(ERR_CLIENT_ID_POSITIVE);
          return;
        }
        filter.id = Number(id);
      } else if (option === 'type') {
        const name = optionName(value);
        const type = Object.hasOwn(CLIENT_TYPE_NAMES, name) ? CLIENT_TYPE_NAMES[name] : undefined;
        if (type === undefined) {
          c.reply.error(errUnknownClientType(value));
          return;
        }
        filter.type = type;
      } else if (option === 'addr') {
        filter.addr = value;
      } else if (option === 'laddr') {
        filter.laddr = value;
      } else if (option === 'user') {
        // As Redis: the user must exist, and clients match by identity (ACLGetUserByName).
        const user = c.server.acl.getUser(value);
        if (user === undefined) {
          c.reply.error(errNoSuchUser(value));
          return;
        }
        filter.user = user;
      } else if (option === 'skipme') {
        const yesNo = optionName(value);
        if (yesNo !== 'yes' && yesNo !== 'no') {
          c.reply.error(ERR_SYNTAX);
          return;
        }
        filter.skipMe = yesNo === 'yes';
      } else if (option === 'maxage') {
        const age = parseI64(value);
        if (age === undefined) {
          c.reply.error(ERR_MAXAGE_NOT_INTEGER);
          return;
        }
        if (age <= 0) {
          c.reply.error(ERR_MAXAGE_POSITIVE);
          return;
        }
        filter.maxAge = Number(age);
      } else {
        c.reply.error(ERR_SYNTAX);
        return;
      }
    }
  }
  const victims: Client[] = [];
  let killSelf = false;
  const nowSeconds = Math.floor(Date.now() / 1000);
  for (const other of c.server.clients()) {
    if (!matches(other, filter, nowSeconds)) continue;
    if (other === c) {
      if (filter.skipMe) continue;
      killSelf = true;
    } else {
      victims.push(other);
    }
  }
  for (const victim of victims) victim.transport.close();
  const killed = victims.length + (killSelf ? 1 : 0);
  if (!oldForm) c.reply.integer(killed);
  else if (killed === 0) c.reply.error(ERR_NO_SUCH_CLIENT);
  else c.reply.simple('OK');
  if (killSelf) c.closeAfterReply = true;
}

function matches(c: Client, f: KillFilter, nowSeconds: number): boolean {
  const t = c.transport;
  if (f.addr !== undefined && t.remoteAddress !== cString(f.addr)) return false;
  if (f.laddr !== undefined && t.localAddress !== cString(f.laddr)) return false;
  if (f.type !== undefined && clientTypeOf(c) !== f.type) return false;
  if (f.id !== undefined && c.id !== f.id) return false;
  if (f.user !== undefined && c.user !== f.user) return false;
  if (f.maxAge !== undefined && nowSeconds - Math.floor(c.createdAt / 1000) < f.maxAge) return false;
  return true;
}

/**
 * CLIENT REPLY ON|OFF|SKIP: OFF drops every reply from this command on (pub/sub messages
 * still come), SKIP drops the next command's, ON answers +OK and replies again. OFF and
 * SKIP themselves answer nothing (the connection drops the replies: connection.ts).
 */
function clientReply(c: Client, argv: string[]): void {
  const mode = optionName(argv[2]!);
  if (mode === 'on') {
    c.replyOff = false;
    c.replySkipNext = false;
    c.replySkip = false;
    c.reply.simple('OK');
  } else if (mode === 'off') {
    c.replyOff = true;
  } else if (mode === 'skip') {
    if (!c.replyOff) c.replySkipNext = true;
  } else {
    c.reply.error(ERR_SYNTAX);
  }
}

/** CLIENT NO-EVICT ON|OFF: lapse never evicts clients; the flag shows in CLIENT LIST (e). */
function clientNoEvict(c: Client, argv: string[]): void {
  const mode = optionName(argv[2]!);
  if (mode !== 'on' && mode !== 'off') {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  c.noEvict = mode === 'on';
  c.reply.simple('OK');
}

/**
 * CLIENT UNBLOCK id [TIMEOUT|ERROR]: a client blocked on keys (blocking.ts) is answered
 * as if it timed out, or with -UNBLOCKED; 1 if it was blocked, else 0. As in Redis, the
 * reason is checked before the id.
 */
function clientUnblock(c: Client, argv: string[]): void {
  let error = false;
  if (argv.length === 4) {
    const reason = optionName(argv[3]!);
    if (reason === 'error') error = true;
    else if (reason !== 'timeout') {
      c.reply.error(ERR_UNBLOCK_REASON);
      return;
    }
  } else if (argv.length !== 3) {
    c.reply.error(errSubcommandSyntax(argv[0]!, argv[1]!));
    return;
  }
  const id = parseI64(argv[2]!);
  if (id === undefined) {
    c.reply.error(ERR_NOT_INTEGER);
    return;
  }
  for (const target of c.server.clients()) {
    if (target.id === id) {
      c.reply.integer(c.server.blocking.unblockByRequest(target, error) ? 1 : 0);
      return;
    }
  }
  c.reply.integer(0);
}

/**
 * CLIENT PAUSE timeout [WRITE|ALL]: parks every client's commands (ALL, the default) or
 * those that may write (WRITE) for timeout ms (client-pause.ts). As in Redis: the mode is
 * checked before the timeout, the timeout is a 64-bit integer of ms and not negative, 0
 * pauses nothing, and a pause already running is only extended and tightened.
 */
function clientPause(c: Client, argv: string[]): void {
  if (argv.length > 4) {
    c.reply.error(errSubcommandSyntax(argv[0]!, argv[1]!));
    return;
  }
  let type: PauseType = PAUSE_ALL;
  if (argv.length === 4) {
    const mode = optionName(argv[3]!);
    if (mode === 'write') type = PAUSE_WRITE;
    else if (mode !== 'all') {
      c.reply.error(ERR_PAUSE_MODE);
      return;
    }
  }
  const timeout = parseTimeoutMs(argv[2]!);
  if ('error' in timeout) {
    c.reply.error(timeout.error);
    return;
  }
  const ms = timeout.ms;
  const now = Date.now();
  // As getTimeoutFromObjectOrReply: 0 stays 0 (a deadline already past), else from now.
  c.server.pause.pause(type, ms === 0 ? 0 : now + ms, now);
  c.reply.simple('OK');
}

/** CLIENT UNPAUSE: ends the pause now; parked clients go on in the order they were parked. */
function clientUnpause(c: Client): void {
  c.server.pause.unpause();
  c.reply.simple('OK');
}

export const CLIENT_ADMIN_SUBCOMMANDS: CommandDefinition[] = [
  /** CLIENT KILL ip:port | CLIENT KILL [ID client-id] [TYPE NORMAL | MASTER | SLAVE | REPLICA | PUBSUB] [USER username] [ADDR ip:port] [LADDR ip:port] [SKIPME yes/no] ... */
  cmd('kill', -3, 'admin noscript loading stale', { acl: 'connection' }, clientKill),
  /** CLIENT UNBLOCK client-id [TIMEOUT | ERROR] */
  cmd('unblock', -3, 'admin noscript loading stale', { acl: 'connection' }, clientUnblock),
  /** CLIENT PAUSE timeout [WRITE | ALL] */
  cmd('pause', -3, 'admin noscript loading stale', { acl: 'connection' }, clientPause),
  /** CLIENT UNPAUSE */
  cmd('unpause', 2, 'admin noscript loading stale', { acl: 'connection' }, clientUnpause),
  /** CLIENT REPLY <ON | OFF | SKIP> */
  cmd('reply', 3, 'noscript loading stale', { acl: 'connection' }, clientReply),
  /** CLIENT NO-EVICT <ON | OFF> */
  cmd('no-evict', 3, 'admin noscript loading stale', { acl: 'connection' }, clientNoEvict),
];
