import { spawn } from 'node:child_process';
import path from 'node:path';
import autocannon from 'autocannon';
import type { BenchServer } from '../lib/servers.js';

export interface HttpResult {
  requestsPerSecond: number;
  p99Ms: number;
  errors: number;
}

/**
 * autocannon against an express-session app whose store is the given server: 100
 * connections, each request reads the session and writes it back (a visit counter,
 * with a rolling cookie), which is one GET and one SET EX on the store.
 */
export async function sessionsHttp(server: BenchServer, seconds: number, sessions = 100): Promise<HttpResult> {
  const app = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'session-app.ts'), String(server.port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: path.join(import.meta.dirname, '..'),
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const t = setTimeout(() => reject(new Error(`app did not start: ${out}`)), 20_000);
      app.stdout!.on('data', (d) => {
        out += d;
        const m = /listening (\d+)/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(Number(m[1]));
        }
      });
    });
    const url = `http://127.0.0.1:${port}`;
    const cookies: string[] = [];
    for (let i = 0; i < sessions; i++) {
      const res = await fetch(`${url}/login`, { method: 'POST' });
      cookies.push(res.headers.get('set-cookie')!.split(';')[0]!);
    }
    let next = 0;
    const result = await autocannon({
      url: `${url}/page`,
      connections: 100,
      duration: seconds,
      requests: [
        {
          setupRequest: (req) => ({ ...req, headers: { ...req.headers, cookie: cookies[next++ % cookies.length]! } }),
        },
      ],
    });
    return {
      requestsPerSecond: result.requests.average,
      p99Ms: result.latency.p99,
      errors: result.errors + result.non2xx,
    };
  } finally {
    app.kill('SIGKILL');
  }
}
