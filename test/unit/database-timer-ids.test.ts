import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { ManualClock } from '../../src/keyspace/clock.js';
import { Keyspace } from '../../src/keyspace/keyspace.js';
import { NO_DEADLINE, type Database } from '../../src/keyspace/database.js';
import { HashValue } from '../../src/keyspace/hash.js';

/**
 * The databases' timers (the key wheel over the store's ids, the field wheel's TimerIds)
 * against a model of two databases' keys, deadlines and hash field deadlines: every
 * path that gives a deadline or takes it away (SET with and without TTL, EXPIRE and
 * PERSIST, DEL, a hash replaced by a string, field TTLs set and cleared, expiry by
 * the wheels, SWAPDB, FLUSHDB) leaves each database with exactly one id per key deadline
 * and per field deadline, and the wheels fire exactly what the model says, in the
 * database the key is in after any swap.
 */

const START = 1_700_000_000_000;

interface KeyModel {
  deadline: number;
  /** Field -> deadline (NO_DEADLINE: none), for a hash; null for a string. */
  fields: Map<string, number> | null;
}

type Op =
  | { kind: 'setString'; db: number; key: number; ttl: number | null }
  | { kind: 'setHash'; db: number; key: number; ttl: number | null; fieldTtls: (number | null)[] }
  | { kind: 'fieldTtl'; db: number; key: number; field: number; ttl: number | null }
  | { kind: 'expire'; db: number; key: number; ttl: number | null }
  | { kind: 'del'; db: number; key: number }
  | { kind: 'swap' }
  | { kind: 'flush'; db: number }
  | { kind: 'advance'; ms: number };

const db = fc.integer({ min: 0, max: 1 });
const key = fc.integer({ min: 0, max: 7 });
const ttl = fc.option(fc.integer({ min: 1, max: 5000 }), { nil: null });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('setString' as const), db, key, ttl }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('setHash' as const), db, key, ttl, fieldTtls: fc.array(ttl, { minLength: 1, maxLength: 4 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('fieldTtl' as const), db, key, field: fc.integer({ min: 0, max: 3 }), ttl }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('expire' as const), db, key, ttl }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('del' as const), db, key }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('swap' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('flush' as const), db }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 2500 }) }) },
);

/** The registries, which the Database keeps private. */
function idsHeld(d: Database): { keys: number; fields: number } {
  // Keys are ids of the store, scheduled on its wheel by their own column slots; field
  // timers hold ids of the store's field TimerIds.
  return { keys: d.store.wheel.size, fields: d.store.fieldIds?.size ?? 0 };
}

describe('Database timer ids against a model', () => {
  test('one id per key deadline and per field deadline, whatever the path; expiry as the model says', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const clock = new ManualClock(START);
        const keyspace = new Keyspace(clock, 2);
        const models = [new Map<string, KeyModel>(), new Map<string, KeyModel>()];
        const at = (t: number | null) => (t === null ? NO_DEADLINE : clock.now() + t);
        for (const o of ops) {
          keyspace.tick();
          if (o.kind === 'advance') {
            clock.advance(o.ms);
            keyspace.tick();
            const now = clock.now();
            for (const model of models) {
              for (const [k, m] of [...model]) {
                if (m.deadline <= now) {
                  model.delete(k);
                  continue;
                }
                if (m.fields === null) continue;
                for (const [f, d] of [...m.fields]) if (d <= now) m.fields.delete(f);
                if (m.fields.size === 0) model.delete(k);
              }
            }
          } else if (o.kind === 'swap') {
            keyspace.swapDatabases(keyspace.dbs[0]!, keyspace.dbs[1]!);
            models.reverse();
          } else if (o.kind === 'flush') {
            keyspace.flushDatabase(keyspace.dbs[o.db]!);
            models[o.db]!.clear();
          } else {
            const d = keyspace.dbs[o.db]!;
            const model = models[o.db]!;
            const name = `k${o.key}`;
            if (o.kind === 'setString') {
              d.set(name, 'v', at(o.ttl));
              model.set(name, { deadline: at(o.ttl), fields: null });
            } else if (o.kind === 'setHash') {
              const hash = new HashValue();
              const fields = new Map<string, number>();
              o.fieldTtls.forEach((_, i) => {
                hash.set(`f${i}`, 'x', d.hashEncoding);
                fields.set(`f${i}`, NO_DEADLINE);
              });
              const entry = d.set(name, hash, at(o.ttl));
              o.fieldTtls.forEach((t, i) => {
                if (t === null) return;
                d.setFieldDeadline(entry, `f${i}`, at(t));
                fields.set(`f${i}`, at(t));
              });
              model.set(name, { deadline: at(o.ttl), fields });
            } else if (o.kind === 'fieldTtl') {
              const m = model.get(name);
              const field = `f${o.field}`;
              if (m === undefined || m.fields === null || !m.fields.has(field)) continue;
              d.setFieldDeadline(d.get(name)!, field, at(o.ttl));
              m.fields.set(field, at(o.ttl));
            } else if (o.kind === 'expire') {
              const m = model.get(name);
              if (m === undefined) continue;
              d.setDeadline(d.get(name)!, at(o.ttl));
              m.deadline = at(o.ttl);
            } else {
              expect(d.delete(name)).toBe(model.has(name));
              model.delete(name);
            }
          }
          for (let i = 0; i < 2; i++) {
            const d = keyspace.dbs[i]!;
            const model = models[i]!;
            expect(d.size).toBe(model.size);
            let keyDeadlines = 0;
            let fieldDeadlines = 0;
            for (const [k, m] of model) {
              const entry = d.peek(k);
              expect(d.deadlineOf(entry!)).toBe(m.deadline);
              expect(d.store.wheel.isScheduled(entry!)).toBe(m.deadline !== NO_DEADLINE);
              if (m.deadline !== NO_DEADLINE) keyDeadlines++;
              if (m.fields === null) continue;
              const withTtl = [...m.fields].filter(([, t]) => t !== NO_DEADLINE);
              fieldDeadlines += withTtl.length;
              expect(new Map(d.fieldDeadlines(entry!) ?? [])).toEqual(new Map(withTtl));
            }
            expect(d.expiresCount).toBe(keyDeadlines);
            expect(d.fieldTtlCount).toBe(fieldDeadlines);
            expect(idsHeld(d)).toEqual({ keys: keyDeadlines, fields: fieldDeadlines });
          }
        }
        keyspace.close();
      }),
      { numRuns: 300 },
    );
  });
});
