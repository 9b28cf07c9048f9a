import { describe, expect, test } from 'vitest';
import { pairSuite } from './harness.js';
import { decodeReply, toJs } from '../helpers/resp.js';

/**
 * LATENCY against redis-server 7.0. What does not depend on time is compared exactly
 * (help, errors, the empty monitor, DOCTOR while the monitor is off, RESET counts). A
 * real spike is made the same way on both (latency-monitor-threshold 50, DEBUG SLEEP
 * 0.1): LATEST, HISTORY, GRAPH and DOCTOR are then compared with their numbers masked
 * (the event, its fields and their shape must match; the ms are within 100-300).
 * HISTOGRAM is compared by its commands, calls and bucket labels' shape.
 */
const p = pairSuite({
  redis: ['--enable-debug-command', 'yes'],
  lapse: { configText: 'enable-debug-command yes\n' },
});

/** Digits masked: what stays is the text around the numbers. */
const masked = (b: Buffer) => b.toString('latin1').replace(/\d+/g, '#');

describe('LATENCY', () => {
  test('help, errors, and an empty monitor', async () => {
    await p.exact('LATENCY', 'HELP');                                      // exact
    await p.exact('LATENCY', 'LATEST');                                    // exact: empty
    await p.exact('LATENCY', 'HISTORY', 'command');                        // exact: empty
    await p.exact('LATENCY', 'GRAPH', 'command');                          // exact: no samples
    await p.exact('LATENCY', 'RESET');                                     // exact: 0
    await p.exact('LATENCY', 'RESET', 'command', 'nosuch');                // exact: 0
    await p.exact('LATENCY', 'DOCTOR');                                    // exact: monitoring is off
    await p.exact('LATENCY', 'NOSUCH');                                    // exact
    await p.exact('LATENCY', 'HISTORY');                                   // exact: arity
    await p.exact('LATENCY', 'LATEST', 'x');                               // exact: arity
    await p.exact('LATENCY', 'HISTOGRAM', 'nosuch');                       // exact: empty map
    for (const sub of ['DOCTOR', 'GRAPH', 'HELP', 'HISTOGRAM', 'HISTORY', 'LATEST', 'RESET']) {
      await p.exact('COMMAND', 'INFO', `LATENCY|${sub}`);                  // exact
      await p.exact('COMMAND', 'DOCS', `LATENCY|${sub}`);                  // exact
    }
  });

  test('a 100 ms command with latency-monitor-threshold 50: LATEST, HISTORY, GRAPH, DOCTOR', async () => {
    await p.exact('CONFIG', 'SET', 'latency-monitor-threshold', '50');     // exact
    await p.exact('LATENCY', 'DOCTOR');                                    // exact: on, nothing seen yet
    await p.exact('DEBUG', 'SLEEP', '0.1');                                // exact
    await p.exact('SET', 'k', 'v');                                        // exact: fast, under the threshold
    const [latestR, latestL] = await p.both(['LATENCY', 'LATEST']);
    expect(masked(latestL)).toBe(masked(latestR));                        // masked numbers
    const [, time, latest, max] = (toJs(decodeReply(latestL)!.reply) as unknown[][])[0]!;
    expect(Math.abs(Number(time) - Date.now() / 1000)).toBeLessThan(5);
    expect(Number(latest)).toBeGreaterThanOrEqual(100);
    expect(Number(latest)).toBeLessThan(300);
    expect(max).toBe(latest);
    for (const args of [['LATENCY', 'HISTORY', 'command'], ['LATENCY', 'GRAPH', 'command'], ['LATENCY', 'DOCTOR']]) {
      const [r, l] = await p.both(args);
      expect(masked(l), args.join(' ')).toBe(masked(r));                  // masked numbers
    }
    // slowlog-log-slower-than -1: DOCTOR advises turning the slow log on.
    await p.exact('CONFIG', 'SET', 'slowlog-log-slower-than', '-1');
    let [r, l] = await p.both(['LATENCY', 'DOCTOR']);
    expect(masked(l)).toBe(masked(r));
    // A slow log that logs only above the monitor's threshold: DOCTOR advises lowering it.
    await p.exact('CONFIG', 'SET', 'slowlog-log-slower-than', '100000');
    [r, l] = await p.both(['LATENCY', 'DOCTOR']);
    expect(masked(l)).toBe(masked(r));
    await p.exact('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
    await p.exact('LATENCY', 'RESET', 'COMMAND');                          // exact: 1, case-insensitive
    await p.exact('LATENCY', 'LATEST');                                    // exact: empty
    await p.exact('CONFIG', 'SET', 'latency-monitor-threshold', '0');
  });

  test('HISTOGRAM: commands with samples, their calls, cumulative counts by power-of-two µs', async () => {
    await p.exact('CONFIG', 'RESETSTAT');
    for (let i = 0; i < 20; i++) await p.exact('SET', `k${i}`, 'v');
    await p.exact('CONFIG', 'GET', 'hz');
    for (const args of [['LATENCY', 'HISTOGRAM', 'set'], ['LATENCY', 'HISTOGRAM', 'set', 'config', 'nosuch'], ['LATENCY', 'HISTOGRAM', 'config|get']]) {
      const [r, l] = await p.both(args);
      const read = (b: Buffer) => toJs(decodeReply(b)!.reply) as unknown[];
      const shape = (reply: unknown[]) => {
        const out: string[] = [];
        for (let i = 0; i < reply.length; i += 2) {
          const body = reply[i + 1] as unknown[];
          expect(body[0]).toBe('calls');
          expect(body[2]).toBe('histogram_usec');
          const buckets = body[3] as number[];
          let last = 0;
          for (let j = 0; j < buckets.length; j += 2) {
            // Labels are the powers of two from 1024 ns in whole µs (1, 2, 4, 8, 16, 33, 66 ...); counts grow.
            expect([1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056, 2113, 4227, 8454, 16908, 33816, 67633, 135266, 270532, 541065, 1082130]).toContain(buckets[j]);
            expect(buckets[j + 1]!).toBeGreaterThan(last);
            last = buckets[j + 1]!;
          }
          expect(last).toBe(body[1]);
          out.push(`${String(reply[i])} calls=${String(body[1])}`);
        }
        return out.sort();
      };
      expect(shape(read(l)), args.join(' ')).toEqual(shape(read(r)));     // commands and calls
    }
    await p.both(['HELLO', '3']);                                          // (client ids differ)
    const [r, l] = await p.both(['LATENCY', 'HISTOGRAM', 'set']);
    // RESP3 maps (the number of buckets depends on the times): the same head on both.
    const head = /^%1\r\n\$3\r\nset\r\n%2\r\n\$5\r\ncalls\r\n:20\r\n\$14\r\nhistogram_usec\r\n%\d+\r\n:\d+\r\n:\d+\r\n/;
    expect(r.toString('latin1')).toMatch(head);
    expect(l.toString('latin1')).toMatch(head);
  });
});
