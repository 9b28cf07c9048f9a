/*
 * In the commands layer's one import cycle, type-only and kept on purpose: see the note at
 * the top of context.ts.
 */
import type { Client } from './context.js';
import type { Database, Entry } from '../keyspace/database.js';

/**
 * One key a client WATCHes in one database; it is both in the client's list and in
 * the registry's list of the key's watchers (Redis's watchedKey).
 */
export class WatchedKey {
  constructor(
    readonly client: Client,
    readonly db: Database,
    readonly key: string,
    /**
     * The key had already expired (but was still stored) when WATCH was called: its
     * removal is then no change, and only a value stored again counts (Redis 7.0).
     */
    public expired: boolean,
  ) {}
}

/** Whether a stored entry's deadline has passed at `now` (Redis's keyIsExpired). */
function isExpired(db: Database, entry: Entry | undefined, now: number): boolean {
  return entry !== undefined && db.deadlineOf(entry) <= now;
}

/**
 * Which clients WATCH which keys (Redis's per-database watched_keys), and the rules by
 * which a change to a key makes their next EXEC fail (Redis 7.0's multi.c): a changed,
 * created, deleted, expired, renamed or flushed key marks every client watching it
 * dirty, and a dirty client stops watching anything, since its EXEC will fail anyway.
 *
 * The server feeds it every key change and flush of the keyspace; with no watched key
 * at all a change costs one comparison.
 */
export class WatchRegistry {
  /** Per database index: key -> its watchers, in the order they started watching. */
  private readonly byDb: (Map<string, WatchedKey[]> | undefined)[] = [];
  /** Number of (client, db, key) watches, for the fast path. */
  private count = 0;

  /** Number of (client, database, key) watches. */
  get size(): number {
    return this.count;
  }

  /** WATCH of one key in the client's current database, at command time `now`. */
  watch(c: Client, key: string, now: number): void {
    const db = c.db;
    let keys = this.byDb[db.index];
    if (keys === undefined) keys = this.byDb[db.index] = new Map();
    let watchers = keys.get(key);
    if (watchers === undefined) {
      watchers = [];
      keys.set(key, watchers);
    } else {
      for (const wk of watchers) if (wk.client === c) return;
    }
    const wk = new WatchedKey(c, db, key, isExpired(db, db.peek(key), now));
    watchers.push(wk);
    (c.watched ??= []).push(wk);
    this.count++;
  }

  /** Forgets every key the client watches (UNWATCH, EXEC, DISCARD, a dirty client, a closed one). */
  unwatchAll(c: Client): void {
    const watched = c.watched;
    if (watched === null) return;
    c.watched = null;
    for (const wk of watched) {
      const keys = this.byDb[wk.db.index]!;
      const watchers = keys.get(wk.key)!;
      if (watchers.length === 1) keys.delete(wk.key);
      else watchers.splice(watchers.indexOf(wk), 1);
    }
    this.count -= watched.length;
  }

  /**
   * Whether a key the client watches expired since WATCH but is still stored (EXEC
   * fails then, as Redis's isWatchedKeyExpired; once removed, its removal did it).
   */
  expiredSinceWatch(c: Client, now: number): boolean {
    const watched = c.watched;
    if (watched === null) return false;
    for (const wk of watched) {
      if (!wk.expired && isExpired(wk.db, wk.db.peek(wk.key), now)) return true;
    }
    return false;
  }

  /** A key was created, changed, deleted or expired (Redis's touchWatchedKey). */
  keyModified(db: Database, key: string): void {
    if (this.count === 0) return;
    const watchers = this.byDb[db.index]?.get(key);
    if (watchers === undefined) return;
    // Dirty clients unwatch everything, which edits this list: walk a copy.
    for (const wk of watchers.slice()) {
      if (wk.expired) {
        if (db.peek(key) === undefined) {
          // The key that was already expired at WATCH is now gone: logically no change.
          wk.expired = false;
          continue;
        }
        // Redis stops at such a watcher and leaves the rest of the list untouched.
        break;
      }
      this.markDirty(wk.client);
    }
  }

  /**
   * A database was emptied (FLUSHDB, FLUSHALL); `removed` is what it held. Only keys it
   * held count as changed, as in Redis's touchAllWatchedKeysInDb.
   */
  databaseFlushed(db: Database, removed: ReadonlyMap<string, Entry>): void {
    if (this.count === 0) return;
    const keys = this.byDb[db.index];
    if (keys === undefined) return;
    const dirty: Client[] = [];
    for (const [key, watchers] of keys) {
      if (!removed.has(key)) continue;
      for (const wk of watchers) {
        // An already expired key being removed is no change.
        if (wk.expired) wk.expired = false;
        else dirty.push(wk.client);
      }
    }
    for (const c of dirty) this.markDirty(c);
  }

  /**
   * SWAPDB exchanged the keys of databases a and b (called after the swap, at command
   * time `now`), as Redis's touchAllWatchedKeysInDb both ways: a watched key changes if
   * it existed before or exists now, except that an expired key stays a non-change (it
   * was expired and is gone, or is replaced by an expired one).
   */
  databasesSwapped(a: Database, b: Database, now: number): void {
    if (this.count === 0) return;
    const dirty: Client[] = [];
    for (const [db, before] of [[a, b], [b, a]] as const) {
      const keys = this.byDb[db.index];
      if (keys === undefined) continue;
      for (const [key, watchers] of keys) {
        // `before` holds what db held before the swap; db holds what replaced it.
        const existed = before.peek(key) !== undefined;
        const replacement = db.peek(key);
        if (!existed && replacement === undefined) continue;
        for (const wk of watchers) {
          if (wk.expired) {
            if (replacement === undefined) {
              wk.expired = false;
              continue;
            }
            if (isExpired(db, replacement, now)) continue;
          } else if (!existed && isExpired(db, replacement, now)) {
            wk.expired = true;
            continue;
          }
          dirty.push(wk.client);
        }
      }
    }
    for (const c of dirty) if (!c.watchDirty) this.markDirty(c);
  }

  private markDirty(c: Client): void {
    c.watchDirty = true;
    this.unwatchAll(c);
  }
}
