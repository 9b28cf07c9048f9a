import { describe, expect, test } from 'vitest';
import { ReplicationBacklog } from '../../src/replication/backlog.js';
import { rng } from '../helpers/rng.js';

/** The backlog against a model: the whole stream kept in one Buffer. */
describe('ReplicationBacklog', () => {
  test('random appends, reads from every offset it holds, and resizes keep the last bytes', () => {
    const random = rng(42);
    for (let round = 0; round < 30; round++) {
      let size = 1 + Math.floor(random() * 200);
      const start = Math.floor(random() * 1000);
      const backlog = new ReplicationBacklog(size, start);
      let stream = Buffer.alloc(0);
      // What it holds: the stream's last `held` bytes (a shrink forgets, a growth does not bring back).
      let held = 0;
      for (let step = 0; step < 60; step++) {
        if (random() < 0.1) {
          size = 1 + Math.floor(random() * 200);
          backlog.resize(size);
          held = Math.min(held, size);
        } else {
          const n = Math.floor(random() * (random() < 0.1 ? 500 : 40));
          const bytes = Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
          backlog.append(bytes);
          stream = Buffer.concat([stream, bytes]);
          held = Math.min(held + n, size);
        }
        const end = start + stream.length;
        expect(backlog.histlen).toBe(held);
        expect(backlog.firstOffset).toBe(end - held + 1);
        // Offsets name the next byte wanted: firstOffset .. end + 1.
        expect(backlog.holds(backlog.firstOffset - 1)).toBe(false);
        expect(backlog.holds(end + 2)).toBe(false);
        for (let offset = backlog.firstOffset; offset <= end + 1; offset += 1 + Math.floor(random() * 7)) {
          expect(backlog.holds(offset)).toBe(true);
          const got = Buffer.concat(backlog.from(offset));
          expect(got.equals(stream.subarray(offset - start - 1))).toBe(true);
        }
      }
    }
  });

  test('a new backlog holds nothing and continues the stream offset', () => {
    const backlog = new ReplicationBacklog(100, 500);
    expect(backlog.firstOffset).toBe(501);
    expect(backlog.histlen).toBe(0);
    expect(backlog.holds(501)).toBe(true);
    expect(backlog.from(501)).toEqual([]);
    backlog.append(Buffer.from('abc'));
    expect(Buffer.concat(backlog.from(502)).toString()).toBe('bc');
  });
});
