import type { Client } from './context.js';
import { ERR_WRONGTYPE } from './errors.js';
import type { Entry, Holding } from '../keyspace/database.js';
import { HashValue } from '../keyspace/hash.js';

/**
 * How hash commands reach a hash (hash-commands.ts and hash-ttl-commands.ts): through
 * readHash() or writeHash(), which drop the fields whose TTL has passed first, so an
 * expired field is never seen and a hash that this empties is gone.
 */

/** An entry known to hold a hash. */
export type HashEntry = Holding<HashValue>;

/**
 * The hash at key, with expired fields dropped: undefined when the key is absent (or
 * its last fields just expired), null after replying WRONGTYPE. For commands that read
 * the key (Redis's lookupKeyRead: counts a keyspace hit or miss).
 */
export function readHash(c: Client, key: string): HashEntry | undefined | null {
  return checkHash(c, c.db.read(key));
}

/** readHash() for commands that write the key (lookupKeyWrite: no hit/miss counts). */
export function writeHash(c: Client, key: string): HashEntry | undefined | null {
  return checkHash(c, c.db.get(key));
}

function checkHash(c: Client, entry: Entry | undefined): HashEntry | undefined | null {
  if (entry === undefined) return undefined;
  if (!(c.db.valueOf(entry) instanceof HashValue)) {
    c.reply.error(ERR_WRONGTYPE);
    return null;
  }
  return c.db.purgeExpiredFields(entry) ? (entry as HashEntry) : undefined;
}

/**
 * Counts `n` more writes beyond the one the database already counted for the key
 * (Redis adds one to its dirty counter per field written or deleted).
 */
export function moreChanges(c: Client, n: number): void {
  if (n > 0) c.server.keyspace.changesSinceSave += n;
}
