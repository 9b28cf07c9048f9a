import { hashString, randomHashSeed } from './store/key-hash.js';

/** Timers one Map holds before they are spread over SHARDS Maps. */
const SPLIT_AT = 4096;
const SHARDS = 64;

/**
 * Field -> T (a hash's field timers): one Map while small; past SPLIT_AT entries, 64
 * Maps chosen by the field's hash.
 *
 * Why: V8's Map rehashes all of its entries when it doubles, in one call: HEXPIRE on
 * every field of a 1M-field hash paused 48 ms at 262k timers and 100 ms at 524k
 * (in-process). A shard holds a 64th of them, so its doubling moves a 64th.
 */
export class FieldTimers<T> {
  private one: Map<string, T> | null = new Map();
  private shards: Map<string, T>[] | null = null;
  private seed = 0;
  size = 0;

  get(field: string): T | undefined {
    return this.one !== null ? this.one.get(field) : this.shardOf(field).get(field);
  }

  set(field: string, value: T): void {
    const map = this.one ?? this.shardOf(field);
    const had = map.size;
    map.set(field, value);
    if (map.size === had) return;
    this.size++;
    if (this.one !== null && this.size > SPLIT_AT) this.split();
  }

  delete(field: string): boolean {
    const map = this.one ?? this.shardOf(field);
    if (!map.delete(field)) return false;
    this.size--;
    return true;
  }

  /** Every value (in no particular order once split). */
  *values(): IterableIterator<T> {
    if (this.one !== null) {
      yield* this.one.values();
      return;
    }
    for (const shard of this.shards!) yield* shard.values();
  }

  private shardOf(field: string): Map<string, T> {
    return this.shards![hashString(this.seed, field) & (SHARDS - 1)]!;
  }

  private split(): void {
    this.seed = randomHashSeed();
    this.shards = Array.from({ length: SHARDS }, () => new Map<string, T>());
    for (const [field, value] of this.one!) this.shardOf(field).set(field, value);
    this.one = null;
  }
}
