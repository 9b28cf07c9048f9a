import type { Client } from './context.js';
import type { CommandDefinition } from './table.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX, ERR_WRONGTYPE, errInvalidExpireTime } from './errors.js';
import { optionName } from './args.js';
import { absoluteExpireMs, ExpireUnit } from './expire-time.js';
import { NO_DEADLINE, deadlineFor } from '../keyspace/database.js';

/**
 * Replies with the string at key (null if absent). Returns false after a WRONGTYPE
 * error, as Redis's getGenericCommand. A read: counts a keyspace hit or miss.
 */
function replyGet(c: Client, key: string): boolean {
  const entry = c.db.read(key);
  if (entry === undefined) {
    c.reply.nullBulk();
    return true;
  }
  const value = entry.value;
  if (typeof value !== 'string') {
    c.reply.error(ERR_WRONGTYPE);
    return false;
  }
  c.reply.bulk(value);
  return true;
}

/** GET key */
function get(c: Client, argv: string[]): void {
  replyGet(c, argv[1]!);
}

const SET_NX = 1;
const SET_XX = 2;
const SET_GET = 4;
const SET_KEEPTTL = 8;
const SET_EX = 16;
const SET_PX = 32;
const SET_EXAT = 64;
const SET_PXAT = 128;
const ANY_EXPIRE = SET_EX | SET_PX | SET_EXAT | SET_PXAT;

/** SET key value [NX|XX] [GET] [EX s|PX ms|EXAT unix-s|PXAT unix-ms|KEEPTTL] */
function set(c: Client, argv: string[]): void {
  // Options first, exactly as Redis's parseExtendedStringArgumentsOrReply: a repeated
  // or conflicting option falls through to one syntax error.
  let flags = 0;
  let expireArg: string | undefined;
  for (let j = 3; j < argv.length; j++) {
    const opt = optionName(argv[j]!);
    const hasNext = j < argv.length - 1;
    if (opt === 'nx' && !(flags & SET_XX)) {
      flags |= SET_NX;
    } else if (opt === 'xx' && !(flags & SET_NX)) {
      flags |= SET_XX;
    } else if (opt === 'get') {
      flags |= SET_GET;
    } else if (opt === 'keepttl' && !(flags & ANY_EXPIRE)) {
      flags |= SET_KEEPTTL;
    } else if (opt === 'ex' && !(flags & (SET_KEEPTTL | SET_EXAT | SET_PX | SET_PXAT)) && hasNext) {
      flags |= SET_EX;
      expireArg = argv[++j];
    } else if (opt === 'px' && !(flags & (SET_KEEPTTL | SET_EX | SET_EXAT | SET_PXAT)) && hasNext) {
      flags |= SET_PX;
      expireArg = argv[++j];
    } else if (opt === 'exat' && !(flags & (SET_KEEPTTL | SET_EX | SET_PX | SET_PXAT)) && hasNext) {
      flags |= SET_EXAT;
      expireArg = argv[++j];
    } else if (opt === 'pxat' && !(flags & (SET_KEEPTTL | SET_EX | SET_EXAT | SET_PX)) && hasNext) {
      flags |= SET_PXAT;
      expireArg = argv[++j];
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  let deadline = NO_DEADLINE;
  if (expireArg !== undefined) {
    const unit = flags & (SET_EX | SET_EXAT) ? ExpireUnit.Seconds : ExpireUnit.Milliseconds;
    const when = absoluteExpireMs(expireArg, unit, (flags & (SET_EX | SET_PX)) !== 0, c.server.keyspace.now);
    if (when === 'not-integer') {
      c.reply.error(ERR_NOT_INTEGER);
      return;
    }
    if (when === 'invalid') {
      c.reply.error(errInvalidExpireTime('set'));
      return;
    }
    deadline = deadlineFor(when);
  }
  const key = argv[1]!;
  if (flags & SET_GET && !replyGet(c, key)) return;
  const db = c.db;
  const existing = db.get(key);
  if ((flags & SET_NX && existing !== undefined) || (flags & SET_XX && existing === undefined)) {
    if (!(flags & SET_GET)) c.reply.nullBulk();
    return;
  }
  if (flags & SET_KEEPTTL && existing !== undefined) deadline = existing.deadline;
  db.set(key, argv[2]!, deadline);
  if (!(flags & SET_GET)) c.reply.simple('OK');
}

export const STRING_COMMANDS: CommandDefinition[] = [
  { name: 'get', arity: 2, handler: get },
  { name: 'set', arity: -3, handler: set },
];
