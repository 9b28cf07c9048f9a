import type { Database, Entry } from './database.js';
import type { Keyspace } from './keyspace.js';
import { idleTime, lfuDecayed, lfuMinutes } from './access.js';

/** maxmemory-policy values. */
export type EvictionPolicy =
  | 'noeviction' | 'allkeys-lru' | 'volatile-lru' | 'allkeys-lfu' | 'volatile-lfu'
  | 'allkeys-random' | 'volatile-random' | 'volatile-ttl';

/** Redis's EVPOOL_SIZE. */
const POOL_SIZE = 16;

/**
 * Chooses keys to evict as Redis 7.0's evict.c does: approximated LRU, LFU and TTL by
 * sampling. Each round samples maxmemory-samples keys of every database (all keys, or
 * only those with a TTL for volatile-* policies) into a pool of the 16 best candidates
 * seen so far, ordered by score (idle time; 255 minus the decayed LFU counter; the
 * nearness of the deadline), then evicts the best candidate still present. The pool
 * lives across rounds, so good candidates found earlier are not forgotten. Random
 * policies take a random key of the next database in turn.
 *
 * Knows no clients nor memory figures: the caller (server/memory.ts) decides when and
 * how much to evict.
 */
export class Evictor {
  /** The pool, ascending by score, filled from index 0; empty slots are at the end. */
  private readonly scores = new Float64Array(POOL_SIZE);
  /** The candidates' keys (as Redis's pool keeps key names: an entry id may be reused once its key is gone). */
  private readonly keys: (string | null)[] = new Array<string | null>(POOL_SIZE).fill(null);
  private readonly owners: (Database | null)[] = new Array<Database | null>(POOL_SIZE).fill(null);
  private readonly sampled: Entry[] = [];
  /** The database a random policy looks at next (Redis's static next_db). */
  private nextDb = 0;

  constructor(private readonly keyspace: Keyspace) {}

  /** Evicts one key chosen by the policy; false when there is none to evict. */
  evictOne(policy: EvictionPolicy, samples: number): boolean {
    if (policy === 'noeviction') return false;
    const volatileOnly = policy.startsWith('volatile-');
    if (policy === 'allkeys-random' || policy === 'volatile-random') return this.evictRandom(volatileOnly);
    const dbs = this.keyspace.dbs;
    for (;;) {
      let total = 0;
      for (const db of dbs) {
        const keys = volatileOnly ? db.expiresCount : db.size;
        if (keys === 0) continue;
        this.populate(db, policy, volatileOnly, samples);
        total += keys;
      }
      if (total === 0) return false;
      // The best candidate is the rightmost; one that was deleted or replaced since it
      // was sampled is a ghost and is dropped.
      for (let k = POOL_SIZE - 1; k >= 0; k--) {
        const key = this.keys[k];
        if (key === null) continue;
        const db = this.owners[k]!;
        this.keys[k] = null;
        this.owners[k] = null;
        const entry = db.peek(key);
        if (entry !== undefined && db.deadlineOf(entry) > this.keyspace.now) {
          db.evict(entry);
          return true;
        }
      }
    }
  }

  /** Forgets the candidates (FLUSHALL, or a policy change that makes their scores meaningless). */
  clear(): void {
    this.keys.fill(null);
    this.owners.fill(null);
  }

  private evictRandom(volatileOnly: boolean): boolean {
    const dbs = this.keyspace.dbs;
    for (let i = 0; i < dbs.length; i++) {
      this.nextDb = (this.nextDb + 1) % dbs.length;
      const db = dbs[this.nextDb]!;
      let entry: Entry | undefined;
      if (volatileOnly) {
        this.sampled.length = 0;
        db.sample(1, true, this.sampled);
        entry = this.sampled[0];
      } else {
        entry = db.randomEntry();
      }
      if (entry !== undefined) {
        db.evict(entry);
        return true;
      }
    }
    return false;
  }

  /** Redis's evictionPoolPopulate: samples db and keeps the best candidates in the pool. */
  private populate(db: Database, policy: EvictionPolicy, volatileOnly: boolean, samples: number): void {
    const sampled = this.sampled;
    sampled.length = 0;
    db.sample(samples, volatileOnly, sampled);
    const ks = this.keyspace;
    const minutes = lfuMinutes(ks.now);
    for (const entry of sampled) {
      let score: number;
      if (policy === 'allkeys-lru' || policy === 'volatile-lru') score = idleTime(db.accessOf(entry), ks.lruClock);
      else if (policy === 'volatile-ttl') score = -db.deadlineOf(entry);
      else score = 255 - lfuDecayed(db.accessOf(entry), minutes, ks.lfuDecayTime);
      this.insert(score, entry, db);
    }
  }

  private insert(score: number, entry: Entry, db: Database): void {
    const scores = this.scores;
    const keys = this.keys;
    const owners = this.owners;
    let k = 0;
    while (k < POOL_SIZE && keys[k] !== null && scores[k]! < score) k++;
    if (k === 0 && keys[POOL_SIZE - 1] !== null) return; // worse than every candidate of a full pool
    if (k < POOL_SIZE && keys[k] === null) {
      // An empty slot: take it.
    } else if (keys[POOL_SIZE - 1] === null) {
      // Room at the end: shift right from k.
      for (let j = POOL_SIZE - 1; j > k; j--) {
        scores[j] = scores[j - 1]!;
        keys[j] = keys[j - 1]!;
        owners[j] = owners[j - 1]!;
      }
    } else {
      // Full: drop the worst candidate (index 0) and shift left to make room before k.
      k--;
      for (let j = 0; j < k; j++) {
        scores[j] = scores[j + 1]!;
        keys[j] = keys[j + 1]!;
        owners[j] = owners[j + 1]!;
      }
    }
    scores[k] = score;
    keys[k] = db.keyOf(entry);
    owners[k] = db;
  }
}
