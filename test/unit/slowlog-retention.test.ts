import { expect, test } from 'vitest';
import { SlowLog } from '../../src/commands/slowlog.js';
import { exposeGc } from '../../src/server/heap.js';

const gc = exposeGc();

function heapUsed(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

/**
 * A slow command's long argument is kept as its first 128 bytes, and only those: a slice
 * of the argument would keep all of it alive as long as the entry (V8's sliced strings
 * hold their parent). 64 entries of 1 MiB arguments must not hold 64 MiB.
 */
test('a slowlog entry keeps 128 bytes of a 1 MiB argument, not the argument', () => {
  expect(gc).not.toBeNull();
  const log = new SlowLog();
  const before = heapUsed();
  for (let i = 0; i < 64; i++) {
    const big = String.fromCharCode(97 + (i % 26)).repeat(1 << 20) + String(i);
    log.push(['SET', `k${i}`, big], 20_000, '127.0.0.1:1', '');
  }
  const held = heapUsed() - before;
  expect(log.newest(1)[0]!.argv[2]).toBe(`${'l'.repeat(128)}... (${(1 << 20) + 2 - 128} more bytes)`);
  expect(held).toBeLessThan(8 << 20);
});
