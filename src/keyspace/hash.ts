import type { TimerNode } from './expiry/timer-wheel.js';
import type { Entry } from './database.js';
import type { ValueObject } from './values.js';

/**
 * Limits of the compact encoding, Redis's hash-max-listpack-entries and
 * hash-max-listpack-value (set from the configuration by the server).
 */
export const hashLimits = { maxCompactEntries: 512, maxCompactValue: 64 };

/**
 * Called before a hash changes in place while some background snapshot runs (null
 * otherwise), so that the snapshot can write the hash's old content first. Set by
 * persistence/snapshot.ts; HashValue's mutators call it, so commands need not.
 */
export const hashMutationGuard: { hook: ((hash: HashValue) => void) | null } = { hook: null };

/** A hash field's TTL: a node of its database's field timer wheel. */
export class FieldTimer implements TimerNode {
  timerPrev: TimerNode | null = null;
  timerNext: TimerNode | null = null;
  constructor(
    readonly hash: HashValue,
    readonly field: string,
    /** First ms at which the field is gone (Redis's field expire time + 1). */
    public deadline: number,
  ) {}
}

/**
 * A hash: field -> value, all latin1 strings.
 *
 * Small hashes (at most hash-max-listpack-entries fields, none longer than
 * hash-max-listpack-value bytes) are kept as one flat array [f0, v0, f1, v1, ...]
 * in insertion order, as Redis keeps them in a listpack: a session hash of a few
 * fields costs one array instead of a Map's hash table, and HGETALL returns fields
 * in the same order as Redis does. Past the limits the hash becomes a Map, for good.
 *
 * Field TTLs live in `timers` (only fields that have one). The hash never fires or
 * cancels them itself: the Database that owns the key does, through its hash methods,
 * so every field deletion also cancels the field's timer.
 */
export class HashValue implements ValueObject {
  readonly type = 'hash' as const;
  private pairs: string[] | null = [];
  private dict: Map<string, string> | null = null;
  /** Fields with a TTL, or null when none has one. */
  timers: Map<string, FieldTimer> | null = null;
  /** A lower bound of the earliest field deadline (Infinity: none). */
  earliestDeadline = Infinity;
  /** The key entry holding this hash; kept by the Database. */
  owner: Entry | null = null;

  get size(): number {
    return this.pairs !== null ? this.pairs.length >> 1 : this.dict!.size;
  }

  /** True while the hash uses the compact (listpack-like) form. */
  get compact(): boolean {
    return this.pairs !== null;
  }

  get(field: string): string | undefined {
    const pairs = this.pairs;
    if (pairs === null) return this.dict!.get(field);
    for (let i = 0; i < pairs.length; i += 2) if (pairs[i] === field) return pairs[i + 1];
    return undefined;
  }

  has(field: string): boolean {
    return this.get(field) !== undefined;
  }

  /** Sets field to value; true if the field is new. Does not touch TTLs. */
  set(field: string, value: string): boolean {
    if (hashMutationGuard.hook !== null) hashMutationGuard.hook(this);
    const pairs = this.pairs;
    if (pairs === null) {
      const created = !this.dict!.has(field);
      this.dict!.set(field, value);
      return created;
    }
    for (let i = 0; i < pairs.length; i += 2) {
      if (pairs[i] === field) {
        pairs[i + 1] = value;
        if (value.length > hashLimits.maxCompactValue) this.convert();
        return false;
      }
    }
    pairs.push(field, value);
    if (
      pairs.length > hashLimits.maxCompactEntries * 2 ||
      field.length > hashLimits.maxCompactValue ||
      value.length > hashLimits.maxCompactValue
    ) {
      this.convert();
    }
    return true;
  }

  /** Removes field; true if it existed. Does not touch TTLs (see Database.hashDelete). */
  removeField(field: string): boolean {
    if (hashMutationGuard.hook !== null) hashMutationGuard.hook(this);
    const pairs = this.pairs;
    if (pairs === null) return this.dict!.delete(field);
    for (let i = 0; i < pairs.length; i += 2) {
      if (pairs[i] === field) {
        pairs.splice(i, 2);
        return true;
      }
    }
    return false;
  }

  /** Calls fn for every field and value, in the hash's order. */
  forEach(fn: (field: string, value: string) => void): void {
    const pairs = this.pairs;
    if (pairs !== null) {
      for (let i = 0; i < pairs.length; i += 2) fn(pairs[i]!, pairs[i + 1]!);
    } else {
      for (const [f, v] of this.dict!) fn(f, v);
    }
  }

  /** [field, value] pairs, in the hash's order. */
  *entries(): IterableIterator<[string, string]> {
    const pairs = this.pairs;
    if (pairs !== null) {
      for (let i = 0; i < pairs.length; i += 2) yield [pairs[i]!, pairs[i + 1]!];
    } else {
      yield* this.dict!;
    }
  }

  /** The field deadline, or Infinity if the field has no TTL. */
  fieldDeadline(field: string): number {
    return this.timers?.get(field)?.deadline ?? Infinity;
  }

  private convert(): void {
    const dict = new Map<string, string>();
    const pairs = this.pairs!;
    for (let i = 0; i < pairs.length; i += 2) dict.set(pairs[i]!, pairs[i + 1]!);
    this.dict = dict;
    this.pairs = null;
  }
}
