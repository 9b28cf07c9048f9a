import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Redis as IORedis } from 'ioredis';
import { createServer, type LapseServer } from '../../src/index.js';
import { freePort } from '../helpers/redis-server.js';

/**
 * A real Prometheus (Debian's prometheus package) scrapes lapse's metrics endpoint every
 * second: the scrape succeeds (up 1) and the series it stored answer PromQL queries
 * through its HTTP API with lapse's values. Prometheus runs on its own loopback port
 * with a scratch storage directory and is stopped by its own process handle.
 */
let lapse: LapseServer;
let client: IORedis;
let prometheus: ChildProcess | null = null;
let promPort = 0;
let scratch = '';
let promOutput = '';

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(expr: string): Promise<Sample[]> {
  const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; data: { result: Sample[] } };
  expect(body.status).toBe('success');
  return body.data.result;
}

/** Polls expr until it has a result for which `ok` holds (Prometheus stores a scrape a moment after it ran). */
async function queryUntil(expr: string, ok: (r: Sample[]) => boolean, timeoutMs = 20_000): Promise<Sample[]> {
  const deadline = Date.now() + timeoutMs;
  let last: Sample[] = [];
  while (Date.now() < deadline) {
    try {
      last = await query(expr);
      if (ok(last)) return last;
    } catch {
      // Not up yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${expr}: no acceptable result in ${timeoutMs} ms; last ${JSON.stringify(last)}; prometheus said:\n${promOutput.slice(-3000)}`);
}

beforeAll(async () => {
  const metricsPort = await freePort();
  lapse = createServer({ port: 0, bind: '127.0.0.1', 'metrics-port': metricsPort });
  const { port } = await lapse.listen();
  client = new IORedis({ port, host: '127.0.0.1' });
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-prometheus-'));
  const config = path.join(scratch, 'prometheus.yml');
  fs.writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      '  - job_name: lapse',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${metricsPort}']`,
      '',
    ].join('\n'),
  );
  promPort = await freePort();
  prometheus = spawn(
    'prometheus',
    [`--config.file=${config}`, `--storage.tsdb.path=${path.join(scratch, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  prometheus.stdout!.on('data', (d) => (promOutput += d));
  prometheus.stderr!.on('data', (d) => (promOutput += d));
}, 30_000);

afterAll(async () => {
  if (prometheus !== null && prometheus.exitCode === null) {
    const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
    prometheus.kill('SIGTERM');
    const timer = setTimeout(() => prometheus?.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
  client?.disconnect();
  await lapse?.close();
  if (scratch !== '') fs.rmSync(scratch, { recursive: true, force: true });
});

test('Prometheus scrapes lapse and answers queries on its series', async () => {
  await client.set('session:a', '1', 'EX', 600);
  await client.set('session:b', '2');
  await client.call('NOSUCHCOMMAND').catch(() => undefined);
  // The scrape worked: Prometheus's own up series for the target, and lapse's redis_up.
  await queryUntil('up{job="lapse"}', (r) => r.length === 1 && r[0]!.value[1] === '1');
  const redisUp = await queryUntil('redis_up', (r) => r.length === 1);
  expect(redisUp[0]!.value[1]).toBe('1');
  expect(redisUp[0]!.metric.job).toBe('lapse');
  // lapse's values, as scraped after the commands above.
  const clients = await queryUntil('redis_connected_clients', (r) => r.length === 1);
  expect(clients[0]!.value[1]).toBe('1');
  const keys = await queryUntil('redis_db_keys{db="db0"}', (r) => r.length === 1 && r[0]!.value[1] === '2');
  expect(keys[0]!.metric.db).toBe('db0');
  await queryUntil('redis_db_keys_expiring{db="db0"}', (r) => r.length === 1 && r[0]!.value[1] === '1');
  await queryUntil('redis_errors_total{err="ERR"}', (r) => r.length === 1 && r[0]!.value[1] === '1');
  const processed = await queryUntil('redis_commands_processed_total', (r) => r.length === 1);
  expect(Number(processed[0]!.value[1])).toBeGreaterThanOrEqual(3);
  // A histogram PromQL can read: the reclaim lag's +Inf bucket.
  await queryUntil('lapse_expired_reclaim_lag_seconds_bucket{le="+Inf"}', (r) => r.length === 1);
  const info = await queryUntil('redis_instance_info', (r) => r.length === 1);
  expect(info[0]!.metric.redis_version).toBe('7.0.15');
  expect(info[0]!.metric.role).toBe('master');
}, 60_000);
