import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';

/**
 * Helpers for replication tests: a whole dataset read through a client (every database,
 * every key with its type, value and TTL), and waiting until a replica has processed
 * everything its primary sent.
 */

export interface KeyState {
  type: string;
  value: unknown;
  /** PTTL: -1 without a deadline, else ms left. */
  pttl: number;
}

export type Dataset = Record<number, Record<string, KeyState>>;

/** Every key of databases 0..dbs-1 with its value (sets and hashes sorted). */
export async function readDataset(client: Redis, dbs = 16): Promise<Dataset> {
  const out: Dataset = {};
  for (let db = 0; db < dbs; db++) {
    await client.select(db);
    const keys = (await client.keys('*')).sort();
    if (keys.length === 0) continue;
    const entries: Record<string, KeyState> = {};
    for (const key of keys) {
      const type = await client.type(key);
      let value: unknown;
      if (type === 'string') value = await client.get(key);
      else if (type === 'hash') value = Object.entries(await client.hgetall(key)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      else if (type === 'list') value = await client.lrange(key, 0, -1);
      else if (type === 'set') value = (await client.smembers(key)).sort();
      else if (type === 'zset') value = await client.zrange(key, '0', '-1', 'WITHSCORES');
      else value = `(type ${type})`;
      entries[key] = { type, value, pttl: await client.pttl(key) };
    }
    out[db] = entries;
  }
  await client.select(0);
  return out;
}

/**
 * The two datasets are equal: the same keys, types and values, and the same TTLs within
 * toleranceMs (both count down from the same absolute deadline; the reads are not at
 * the same instant). Returns the differences (empty when equal).
 */
export function datasetDifferences(a: Dataset, b: Dataset, toleranceMs = 1500): string[] {
  const diffs: string[] = [];
  const dbs = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const db of dbs) {
    const x = a[Number(db)] ?? {};
    const y = b[Number(db)] ?? {};
    for (const key of new Set([...Object.keys(x), ...Object.keys(y)])) {
      const p = x[key];
      const q = y[key];
      if (p === undefined || q === undefined) {
        diffs.push(`db${db} ${key}: only on ${p === undefined ? 'second' : 'first'}`);
        continue;
      }
      if (p.type !== q.type || JSON.stringify(p.value) !== JSON.stringify(q.value)) {
        diffs.push(`db${db} ${key}: ${p.type} ${JSON.stringify(p.value).slice(0, 200)} != ${q.type} ${JSON.stringify(q.value).slice(0, 200)}`);
      }
      const ttlDiffers = (p.pttl < 0 || q.pttl < 0) ? p.pttl !== q.pttl : Math.abs(p.pttl - q.pttl) > toleranceMs;
      if (ttlDiffers) diffs.push(`db${db} ${key}: pttl ${p.pttl} != ${q.pttl}`);
    }
  }
  return diffs;
}

export function infoFields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

export async function info(client: Redis, section = 'replication'): Promise<Record<string, string>> {
  return infoFields(await client.info(section));
}

/**
 * Waits until the replica's link is up and it has processed the primary's whole stream
 * (slave_repl_offset == the primary's master_repl_offset, twice in a row).
 */
export async function waitInSync(primary: Redis, replica: Redis, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const p = await info(primary);
    const r = await info(replica);
    last = `primary offset ${p.master_repl_offset}, replica ${r.master_link_status} offset ${r.slave_repl_offset}`;
    if (r.master_link_status === 'up' && r.master_sync_in_progress === '0' && r.slave_repl_offset === p.master_repl_offset) {
      const p2 = await info(primary);
      if (p2.master_repl_offset === p.master_repl_offset) return;
    }
    if (Date.now() > until) throw new Error(`replica not in sync: ${last}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Polls `check` until it is true, or throws with `what` after timeoutMs. */
export async function eventually(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Scratch directories (a primary's RDB file for a disk-based sync), removed together. */
export class ScratchDirs {
  private readonly dirs: string[] = [];

  make(): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-repl-'));
    this.dirs.push(d);
    return d;
  }

  removeAll(): void {
    for (const d of this.dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  }
}
