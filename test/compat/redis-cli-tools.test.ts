import { spawn } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { pairSuite } from './harness.js';

/**
 * redis-cli's operator tools against lapse and redis-server 7.0, the same dataset in
 * each: --bigkeys (its summary compared exactly), --memkeys (the same summary with the
 * byte counts masked: lapse reports what its keys cost in V8, see MEMORY USAGE),
 * --latency, --latency-history and --latency-dist (PING round trips: the lines' shape),
 * --stat (INFO every interval: the header exactly, the key count of each line). Output
 * goes through stdbuf so that lines a tool prints before it is stopped arrive.
 */
const p = pairSuite();

/** redis-cli's stdout, the tool stopped after `ms` if it has not exited by itself. */
function tool(port: number, args: string[], ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('stdbuf', ['-oL', 'redis-cli', '-h', '127.0.0.1', '-p', String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
    child.stderr.on('data', (d: Buffer) => (out += d.toString('latin1')));
    const timer = setTimeout(() => child.kill('SIGINT'), ms);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

async function both(args: string[], ms: number): Promise<[string, string]> {
  return Promise.all([tool(p.redis.port, args, ms), tool(p.lapsePort, args, ms)]);
}

const summary = (text: string) => text.slice(text.indexOf('-------- summary -------'));

async function dataset(): Promise<void> {
  const commands: string[][] = [];
  for (let i = 0; i < 40; i++) commands.push(['SET', `session:${i}`, 'x'.repeat(10 + i)]);
  // The biggest string by far, in bytes and in memory (allocators round the others alike).
  commands.push(['SET', 'session:big', 'y'.repeat(5000)]);
  commands.push(['RPUSH', 'queue', ...Array.from({ length: 30 }, (_, i) => `job${i}`)]);
  commands.push(['RPUSH', 'small', 'a']);
  commands.push(['HSET', 'user:1', 'name', 'ann', 'email', 'ann@example.com', 'plan', 'pro']);
  commands.push(['SADD', 'tags', 'a', 'b', 'c', 'd']);
  commands.push(['ZADD', 'board', '1', 'x', '2', 'y']);
  commands.push(['SET', 'counter', '12345']);
  await p.run(commands);
}

describe('redis-cli tools', () => {
  test('--bigkeys: the same summary', async () => {
    await dataset();
    const [r, l] = await both(['--bigkeys'], 20_000);
    expect(r).toContain('-------- summary -------');
    expect(summary(l)).toBe(summary(r));                                   // exact: the summary
  });

  test('--memkeys: the same summary, byte counts masked', async () => {
    await dataset();
    const [r, l] = await both(['--memkeys'], 20_000);
    const masked = (t: string) => summary(t).replace(/\d+ bytes/g, '# bytes').replace(/avg size [\d.]+/g, 'avg size #');
    expect(r).toContain('Biggest');
    expect(masked(l)).toBe(masked(r));                                     // masked byte counts
  });

  test('--latency, --latency-history, --latency-dist: PING round trips', async () => {
    const [r, l] = await both(['--latency', '-i', '1'], 10_000);
    for (const out of [r, l]) expect(out.trim()).toMatch(/^\d+ \d+ \d+\.\d\d \d+$/); // min max avg samples
    const [rh, lh] = await both(['--latency-history', '-i', '1'], 2_500);
    for (const out of [rh, lh]) {
      const lines = out.trim().split('\n');
      expect(lines.length).toBeGreaterThanOrEqual(3);
      // min max avg samples, and at the end of each interval its length.
      for (const line of lines) expect(line).toMatch(/^(\d+ \d+ \d+\.\d\d \d+| -- \d+\.\d\d seconds range)$/);
    }
    const [rd, ld] = await both(['--latency-dist', '-i', '1'], 2_500);
    const legend = (t: string) => t.split('\n').slice(0, 7).join('\n');
    expect(legend(rd)).toContain('milliseconds');
    expect(legend(ld)).toBe(legend(rd));                                   // exact: the legend
    expect(ld.length).toBeGreaterThan(legend(ld).length);                 // and samples after it
  });

  test('--stat: the header, then a line per interval with the key count', async () => {
    await dataset();
    const [r, l] = await both(['--stat', '-i', '0.5'], 2_200);
    const header = (t: string) => t.split('\n').slice(0, 2).join('\n');
    expect(header(r)).toContain('keys');
    expect(header(l)).toBe(header(r));                                     // exact: the header
    const keys = (t: string) => t.split('\n').slice(2).filter((x) => x.trim() !== '').map((x) => x.trim().split(/\s+/)[0]);
    expect(keys(l).length).toBeGreaterThanOrEqual(3);
    expect(new Set(keys(l))).toEqual(new Set(keys(r)));                   // the key count: 47
  });
});
