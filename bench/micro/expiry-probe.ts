/**
 * Mass expiry, the wheel alone: a lapse (or redis-server) process holding n keys due
 * evenly over one second, one client sending GET and SET one at a time from 200 ms before
 * the first deadline to 300 ms after the last, and nothing else (the bench's mass-expiry
 * scenario also polls DBSIZE). Prints the round trips' count, p99, p99.9 and max, the
 * slow ones (over 4 ms, with their time from the first deadline), and LATENCY LATEST.
 *
 *   npx tsx bench/micro/expiry-probe.ts [dist/cli.js | redis] [keys=1000000]
 *
 * The server is `node <target>`, without bin/lapse's flags: to measure what bin/lapse
 * gives it on this machine, pass them in NODE_OPTIONS (e.g. --v8-pool-size=1 on 2 cores).
 * RENICE=n renices every thread of the server but its main one by n (V8's background
 * threads) once it is up: what they cost the main thread on a small machine.
 */
import net from 'node:net';
import fs from 'node:fs';
import { spawn, execFileSync } from 'node:child_process';
import { expiringPayload } from '../lib/payload.js';

const target = process.argv[2] ?? 'dist/cli.js';
const n = Number(process.argv[3] ?? 1_000_000);
const port = 7800 + Math.floor(Math.random() * 100);
const args = ['--port', String(port), '--save', '', '--appendonly', 'no', '--latency-monitor-threshold', '3'];
const server = target === 'redis' ? spawn('redis-server', args, { stdio: 'ignore' }) : spawn(process.execPath, [target, ...args], { stdio: 'ignore' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cli = (...a: string[]) => execFileSync('redis-cli', ['-p', String(port), ...a], { encoding: 'latin1', stdio: ['ignore', 'pipe', 'ignore'] });

try {
  for (let i = 0; ; i++) {
    try {
      cli('PING');
      break;
    } catch {
      if (i > 100) throw new Error('the server did not start');
      await sleep(100);
    }
  }
  if (process.env.RENICE) {
    for (const t of fs.readdirSync(`/proc/${server.pid}/task`)) if (t !== String(server.pid)) execFileSync('renice', ['-n', process.env.RENICE, '-p', t], { stdio: 'ignore' });
  }
  // The bench scenario's keys (bench/scenarios/mass-expiry.ts): exp:<i>, due evenly over 1 s.
  const first = Date.now() + 3000 + n / 100;
  execFileSync('redis-cli', ['-p', String(port), '--pipe'], { input: expiringPayload(n, first, 1000), maxBuffer: 1 << 26 });
  const sock = net.connect(port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  let pending: (() => void) | null = null;
  sock.on('data', (d) => {
    if (pending !== null && d.includes(13)) {
      const p = pending;
      pending = null;
      p();
    }
  });
  const call = (s: string) => new Promise<void>((r) => {
    pending = r;
    sock.write(s);
  });
  while (Date.now() < first - 200) await sleep(10);
  const value = 'x'.repeat(230);
  const get = '*2\r\n$3\r\nGET\r\n$5\r\nprobe\r\n';
  const set = `*3\r\n$3\r\nSET\r\n$5\r\nprobe\r\n$230\r\n${value}\r\n`;
  const times: number[] = [];
  const slow: [number, number][] = [];
  while (Date.now() < first + 1300) {
    const t = performance.now();
    await call(times.length % 2 ? set : get);
    const took = performance.now() - t;
    times.push(took);
    if (took > 4) slow.push([Date.now() - first, Number(took.toFixed(1))]);
  }
  sock.destroy();
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(times.length * p))]!.toFixed(2);
  console.log(`round trips ${times.length} p99 ${q(0.99)} p99.9 ${q(0.999)} max ${times.at(-1)!.toFixed(1)} ms`);
  console.log(`slow (ms since the first deadline, ms taken): ${JSON.stringify(slow)}`);
  console.log(`latency latest: ${cli('LATENCY', 'LATEST').trim().split('\n').join(' ')}`);
} finally {
  server.kill();
}
