import net from 'node:net';
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Redis as IORedis } from 'ioredis';
import { createServer, type LapseServer } from '../../src/index.js';
import { freePort } from '../helpers/redis-server.js';
import { runCli } from '../helpers/cli-process.js';

/**
 * The Prometheus endpoint (metrics-port): off by default; GET /metrics answers the text
 * format 0.0.4, which promtool (Debian's prometheus package) accepts; other paths 404,
 * other methods 405 with Allow; a stalled scraper neither delays commands nor stays
 * connected; the endpoint closes with the server; the CLI takes --metrics-port.
 */

interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(port: number, method: string, path: string): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.setTimeout(5000, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * redis_exporter's names that promtool's lint remarks on (units abbreviated as _sec; a
 * gauge named _total), kept as the exporter names them.
 */
const EXPORTER_NAMES_LINTED = [
  'redis_aof_current_rewrite_duration_sec',
  'redis_aof_last_rewrite_duration_sec',
  'redis_expired_time_cap_reached_total',
  'redis_migrate_cached_sockets_total',
  'redis_rdb_current_bgsave_duration_sec',
  'redis_rdb_last_bgsave_duration_sec',
];

/** promtool's verdict on a metrics text: its exit code and what it printed. */
function promtoolCheck(text: string): { code: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 20_000 });
  if (r.error) throw r.error;
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('metrics-port', () => {
  let lapse: LapseServer;
  let metricsPort = 0;
  let client: IORedis;

  beforeAll(async () => {
    metricsPort = await freePort();
    lapse = createServer({ port: 0, bind: '127.0.0.1', 'metrics-port': metricsPort });
    const { port } = await lapse.listen();
    client = new IORedis({ port, host: '127.0.0.1' });
  });
  afterAll(async () => {
    client.disconnect();
    await lapse.close();
  });

  test('GET /metrics: 200, text format 0.0.4, INFO as redis_exporter names it, valid for promtool', async () => {
    await client.set('session:1', 'x', 'EX', 100);
    await client.set('session:2', 'y');
    await client.call('NOSUCHCOMMAND').catch(() => undefined);
    const r = await request(metricsPort, 'GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(Number(r.headers['content-length'])).toBe(Buffer.byteLength(r.body));
    const lines = r.body.split('\n');
    expect(lines).toContain('redis_up 1');
    expect(lines).toContain('redis_connected_clients 1');
    expect(lines).toContain('redis_db_keys{db="db0"} 2');
    expect(lines).toContain('redis_db_keys_expiring{db="db0"} 1');
    expect(lines).toContain('redis_errors_total{err="ERR"} 1');
    expect(lines).toContain('redis_memory_max_bytes 0');
    expect(r.body).toMatch(/^redis_commands_processed_total \d+$/m);
    // From INFO commandstats: the two SETs, their time.
    expect(lines).toContain('redis_commands_total{cmd="set"} 2');
    expect(r.body).toMatch(/^redis_commands_duration_seconds_total\{cmd="set"\} \d+(\.\d+)?(e-?\d+)?$/m);
    expect(r.body).toMatch(/^redis_instance_info\{role="master",redis_version="7\.0\.15",.*\} 1$/m);
    expect(r.body).toMatch(/^lapse_expired_reclaim_lag_seconds_bucket\{le="\+Inf"\} \d+$/m);
    expect(r.body).toMatch(/^lapse_expired_keys_past_deadline 0$/m);
    // promtool parses it (exit 1 is a parse error); its lint (exit 3) objects only to names
    // redis_exporter gives these fields, which lapse keeps so that its dashboards work.
    const check = promtoolCheck(r.body);
    expect(check.code === 0 || check.code === 3, check.output).toBe(true);
    const remarks = check.output.split('\n').filter((l) => l !== '');
    expect(remarks.map((l) => l.split(' ')[0]).sort()).toEqual(EXPORTER_NAMES_LINTED);
  });

  test('promtool notices a broken text (the check can fail)', () => {
    const check = promtoolCheck('# TYPE x counter\nx{a="1"} 1\n# TYPE x counter\nx{a="2"} 2\n');
    expect(check.code).toBe(1);
  });

  test('GC pauses are counted once a collection happened', async () => {
    // Enough short-lived garbage for V8's young generation to be collected at least once.
    let keep = 0;
    for (let i = 0; i < 200; i++) keep += new Array(10_000).fill(i).length;
    expect(keep).toBe(2_000_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const r = await request(metricsPort, 'GET', '/metrics');
    expect(r.body).toMatch(/^lapse_gc_pauses_total\{kind="minor"\} [1-9]\d*$/m);
  });

  test('HEAD: the headers of GET, no body', async () => {
    const r = await request(metricsPort, 'HEAD', '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(r.body).toBe('');
  });

  test('other paths 404, other methods on /metrics 405 with Allow', async () => {
    expect((await request(metricsPort, 'GET', '/')).status).toBe(404);
    expect((await request(metricsPort, 'GET', '/metricsx')).status).toBe(404);
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const r = await request(metricsPort, method, '/metrics');
      expect(r.status, method).toBe(405);
      expect(r.headers.allow, method).toBe('GET, HEAD');
    }
    // A query string is not part of the path.
    expect((await request(metricsPort, 'GET', '/metrics?x=1')).status).toBe(200);
  });

  test('a stalled scraper (half a request, never reads) delays no command and is dropped', async () => {
    const stalled = net.connect({ port: metricsPort, host: '127.0.0.1' });
    await new Promise<void>((resolve) => stalled.once('connect', () => resolve()));
    stalled.write('GET /metr');
    stalled.pause();
    let stalledClosed = false;
    stalled.on('close', () => (stalledClosed = true));
    stalled.on('error', () => undefined);
    // A second scraper that pipelines requests and never reads its replies.
    const flooding = net.connect({ port: metricsPort, host: '127.0.0.1' });
    await new Promise<void>((resolve) => flooding.once('connect', () => resolve()));
    flooding.on('error', () => undefined);
    flooding.pause();
    flooding.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(200));
    try {
      const rounds: number[] = [];
      for (let i = 0; i < 100; i++) {
        const t = performance.now();
        await client.set(`k${i}`, 'v');
        rounds.push(performance.now() - t);
      }
      rounds.sort((a, b) => a - b);
      // Milliseconds each (a shared machine: a generous bound on the median, none on a GC-hit outlier).
      expect(rounds[50]!).toBeLessThan(20);
      // Node's request-head timeout (5 s, checked every second) drops the stalled one.
      const deadline = Date.now() + 9000;
      while (!stalledClosed && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(stalledClosed).toBe(true);
      expect(await client.ping()).toBe('PONG');
    } finally {
      stalled.destroy();
      flooding.destroy();
    }
  }, 15_000);
});

describe('metrics-port off and closing', () => {
  test('off by default: the parameter is 0 and the server listens for clients only', async () => {
    const lapse = createServer({ port: 0, bind: '127.0.0.1' });
    try {
      const { port } = await lapse.listen();
      expect(lapse.metricsPort).toBe(0);
      const c = new IORedis({ port, host: '127.0.0.1' });
      try {
        expect(await c.config('GET', 'metrics-port')).toEqual(['metrics-port', '0']);
        expect(await c.config('SET', 'metrics-port', '9999').catch((e: Error) => e.message)).toMatch(/can't set immutable config/);
      } finally {
        c.disconnect();
      }
    } finally {
      await lapse.close();
    }
  });

  test('the endpoint closes with the server, open scrapers included', async () => {
    const metricsPort = await freePort();
    const lapse = createServer({ port: 0, bind: '127.0.0.1', 'metrics-port': metricsPort });
    await lapse.listen();
    expect(lapse.metricsPort).toBe(metricsPort);
    const idle = net.connect({ port: metricsPort, host: '127.0.0.1' });
    await new Promise<void>((resolve) => idle.once('connect', () => resolve()));
    const idleClosed = new Promise<void>((resolve) => idle.once('close', () => resolve()));
    idle.on('error', () => undefined);
    await lapse.close();
    await idleClosed;
    await expect(request(metricsPort, 'GET', '/metrics')).rejects.toThrow(/ECONNREFUSED/);
  });

  test('the CLI takes --metrics-port as every parameter', async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const cli = runCli(['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--metrics-port', String(metricsPort)]);
    try {
      await cli.waitFor('Ready to accept connections');
      const r = await request(metricsPort, 'GET', '/metrics');
      expect(r.status).toBe(200);
      expect(r.body.split('\n')).toContain('redis_up 1');
      expect(cli.output()).toContain(`Metrics (Prometheus) at http://127.0.0.1:${metricsPort}/metrics`);
    } finally {
      cli.kill();
      await cli.exited();
    }
  }, 30_000);
});
