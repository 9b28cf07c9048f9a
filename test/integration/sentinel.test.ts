import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import express from 'express';
import session from 'express-session';
import { RedisStore } from 'connect-redis';
import LegacyRedisStore from 'connect-redis-ioredis';
import { createSentinel } from 'redis';
import { Redis as IORedis } from 'ioredis';
import { runCli, type CliProcess } from '../helpers/cli-process.js';
import { freePort } from '../helpers/redis-server.js';
import { eventually } from '../helpers/replication.js';

/**
 * Debian's redis-sentinel (three of them) watching a lapse primary with two lapse
 * replicas, every one a process of its own. The primary is killed with SIGKILL while two
 * express-session apps log users in, one on ioredis (`sentinels`), one on node-redis
 * (`createSentinel`); one app answers after its session is stored, the other after
 * `WAIT 1 100` too. Sentinel promotes a replica (its configuration file rewritten by
 * CONFIG REWRITE), the other follows it, the apps find the new primary, and the old
 * primary, restarted, is turned into a replica. Printed: the time from the kill to the
 * first successful login, and the sessions acknowledged but lost, with and without WAIT,
 * and the +switch-master lines of the first Sentinel's log. Asserted: no session whose
 * WAIT saw a replica take the write is lost (a WAIT that timed out promised nothing).
 */

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-sentinel-'));
const processes: CliProcess[] = [];
const sentinels: ChildProcess[] = [];
afterAll(() => {
  for (const p of processes) p.kill();
  for (const s of sentinels) s.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Node {
  port: number;
  conf: string;
  process: CliProcess;
}

async function startLapse(name: string, port: number, replicaOf: number | null): Promise<Node> {
  const home = path.join(dir, name);
  fs.mkdirSync(home, { recursive: true });
  const conf = path.join(home, 'lapse.conf');
  if (!fs.existsSync(conf)) {
    const lines = [`port ${port}`, 'bind 127.0.0.1', 'save ""', `dir ${home}`, 'repl-diskless-sync-delay 0'];
    if (replicaOf !== null) lines.push(`replicaof 127.0.0.1 ${replicaOf}`);
    fs.writeFileSync(conf, lines.join('\n') + '\n');
  }
  const proc = runCli([conf], { cwd: home });
  processes.push(proc);
  await proc.waitFor('Ready to accept connections');
  return { port, conf, process: proc };
}

async function startSentinel(index: number, port: number, primaryPort: number): Promise<void> {
  const home = path.join(dir, `sentinel${index}`);
  fs.mkdirSync(home, { recursive: true });
  const conf = path.join(home, 'sentinel.conf');
  fs.writeFileSync(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${home}`,
      `sentinel monitor mymaster 127.0.0.1 ${primaryPort} 2`,
      'sentinel down-after-milliseconds mymaster 1000',
      'sentinel failover-timeout mymaster 10000',
      'sentinel parallel-syncs mymaster 1',
      `logfile ${path.join(home, 'sentinel.log')}`,
    ].join('\n') + '\n',
  );
  const child = spawn('redis-sentinel', [conf], { stdio: 'ignore' });
  sentinels.push(child);
}

/**
 * `call` for a node Sentinel may be reconfiguring: Sentinel sends SLAVEOF in a MULTI with
 * CLIENT KILL TYPE normal, so a check's own connection can be closed under it. Such an
 * error is "not yet" (kept in `errors` for the timeout's message), not a failure.
 */
async function callDuringReconfiguration(errors: string[], port: number, ...args: string[]): Promise<unknown> {
  try {
    return await call(port, ...args);
  } catch (e) {
    errors.push((e as Error).message);
    return null;
  }
}

async function call(port: number, ...args: string[]): Promise<unknown> {
  const c = new IORedis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  c.on('error', () => {});
  try {
    await c.connect();
    return await c.call(args[0]!, ...args.slice(1));
  } finally {
    c.disconnect();
  }
}

/** An express app whose POST /login stores a session; `wait`: and waits for one replica (WAIT 1 100). */
function loginApp(store: session.Store, wait: (() => Promise<unknown>) | null): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.use(session({ store, secret: 'sentinel-test', resave: false, saveUninitialized: false, cookie: { maxAge: 3_600_000 } }));
  app.post('/login/:user', (req, res) => {
    (req.session as unknown as { user: string }).user = req.params.user;
    req.session.save((err) => {
      if (err) {
        res.status(503).end();
        return;
      }
      const done = (replicas?: unknown) => {
        // How many replicas WAIT saw the write reach (a WAIT that timed out says 0).
        if (replicas !== undefined) res.setHeader('x-replicas', String(replicas));
        res.status(200).send(req.sessionID);
      };
      if (wait === null) done();
      else wait().then(done, () => res.status(503).end());
    });
  });
  const server = http.createServer(app);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => new Promise<void>((r) => server.close(() => r())),
      }),
    ),
  );
}

/** Logs users in one after the other until stopped; records the acknowledged session ids and when they were acknowledged. */
function loginLoop(url: string): { acked: { id: string; at: number; replicas: number }[]; stop(): Promise<void> } {
  const acked: { id: string; at: number; replicas: number }[] = [];
  let running = true;
  let n = 0;
  const loop = (async () => {
    while (running) {
      try {
        const res = await fetch(`${url}/login/user${n++}`, { method: 'POST', signal: AbortSignal.timeout(2000) });
        if (res.status === 200) acked.push({ id: await res.text(), at: Date.now(), replicas: Number(res.headers.get('x-replicas') ?? 0) });
        else await new Promise((r) => setTimeout(r, 20));
      } catch {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  })();
  return {
    acked,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

describe('Sentinel fails over a lapse primary', () => {
  test('three sentinels, two replicas, SIGKILL of the primary: a replica promoted, the other follows, the old primary rejoins; sessions keep being served', async () => {
    const [p0, p1, p2, s1, s2, s3] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
    const primary = await startLapse('a', p0!, null);
    const replicas = [await startLapse('b', p1!, p0!), await startLapse('c', p2!, p0!)];
    for (const r of replicas) {
      await eventually(async () => String(await call(r.port, 'INFO', 'replication')).includes('master_link_status:up'), `replica ${r.port} in sync`);
    }
    const sentinelPorts = [s1!, s2!, s3!];
    for (let i = 0; i < 3; i++) await startSentinel(i, sentinelPorts[i]!, p0!);
    await eventually(async () => {
      const m = (await call(s1!, 'SENTINEL', 'MASTER', 'mymaster').catch(() => [])) as string[];
      const field = (name: string) => m[m.indexOf(name) + 1];
      return field('num-slaves') === '2' && field('num-other-sentinels') === '2';
    }, 'the sentinels to see two replicas and each other', 30_000);

    // The apps: ioredis through the sentinels (session saved, no WAIT), node-redis through them (session saved, then WAIT 1 100).
    const io = new IORedis({ sentinels: sentinelPorts.map((port) => ({ host: '127.0.0.1', port })), name: 'mymaster' });
    io.on('error', () => {});
    const nr = createSentinel({
      name: 'mymaster',
      sentinelRootNodes: sentinelPorts.map((port) => ({ host: '127.0.0.1', port })),
    });
    nr.on('error', () => {});
    await nr.connect();
    const plainApp = await loginApp(new LegacyRedisStore({ client: io, prefix: 'io:' }), null);
    const waitApp = await loginApp(new RedisStore({ client: nr as never, prefix: 'nr:' }), () => nr.sendCommand(false, ['WAIT', '1', '100']));
    const plain = loginLoop(plainApp.url);
    const waited = loginLoop(waitApp.url);
    await eventually(() => plain.acked.length > 20 && waited.acked.length > 20, 'logins before the failover').catch((e) => {
      throw new Error(`${(e as Error).message}: ${plain.acked.length} plain, ${waited.acked.length} waited`);
    });

    const killedAt = Date.now();
    primary.process.child.kill('SIGKILL');
    await eventually(async () => {
      const addr = (await call(s1!, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')) as string[];
      return addr[1] !== String(p0);
    }, 'the failover', 30_000);
    await eventually(
      () => plain.acked.some((a) => a.at > killedAt + 100) && waited.acked.some((a) => a.at > killedAt + 100),
      'logins after the failover',
      30_000,
    );
    // The first login answered by the new primary: answers to requests in flight at the
    // kill come within a few ms of it, so the first answer more than 100 ms after it.
    const firstAfter = (acked: { at: number }[]) => acked.find((a) => a.at > killedAt + 100)!.at - killedAt;
    await new Promise((r) => setTimeout(r, 500));
    await plain.stop();
    await waited.stop();

    const [, newPort] = (await call(s1!, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')) as string[];
    const promoted = replicas.find((r) => String(r.port) === newPort)!;
    const other = replicas.find((r) => r !== promoted)!;
    expect(promoted).toBeDefined();
    expect(((await call(promoted.port, 'ROLE')) as unknown[])[0]).toBe('master');
    let lastRole: unknown = [];
    const otherErrors: string[] = [];
    await eventually(async () => {
      const role = (lastRole = await callDuringReconfiguration(otherErrors, other.port, 'ROLE')) as unknown[] | null;
      return role !== null && role[0] === 'slave' && role[2] === promoted.port && role[3] === 'connected';
    }, 'the other replica following the new primary', 60_000).catch((e) => {
      const log = fs.readFileSync(path.join(dir, 'sentinel0', 'sentinel.log'), 'latin1').split('\n').slice(-40).join('\n');
      throw new Error(
        `${(e as Error).message}; its ROLE: ${JSON.stringify(lastRole)}; errors: ${JSON.stringify(otherErrors.slice(-5))}; the new primary ${promoted.port}; ` +
          `sentinel log:\n${log}\nreplica output:\n${other.process.output().slice(-3000)}`,
      );
    });
    // CONFIG REWRITE: the promoted replica's file no longer names a primary, the other's names the new one.
    expect(fs.readFileSync(promoted.conf, 'latin1')).not.toMatch(/^replicaof /m);
    expect(fs.readFileSync(other.conf, 'latin1')).toMatch(new RegExp(`^replicaof 127\\.0\\.0\\.1 ${promoted.port}$`, 'm'));

    // Sessions acknowledged to the users and not on the new primary.
    const lost = async (prefix: string, acked: { id: string }[]) => {
      let n = 0;
      for (const { id } of acked) if ((await call(promoted.port, 'EXISTS', `${prefix}${id}`)) === 0) n++;
      return n;
    };
    const lostPlain = await lost('io:', plain.acked);
    // What WAIT promised: the sessions whose WAIT saw a replica take the write (a WAIT that
    // timed out acknowledged the user anyway, as the app is written, and promised nothing).
    const confirmed = waited.acked.filter((a) => a.replicas >= 1);
    const lostWaited = await lost('nr:', confirmed);
    const sentinelLog = () => fs.readFileSync(path.join(dir, 'sentinel0', 'sentinel.log'), 'latin1');
    const switches = sentinelLog().split('\n').filter((l) => l.includes('+switch-master')).map((l) => l.slice(0, 80));
    console.log(
      `sentinel failover: first login after the kill ${firstAfter(plain.acked)} ms (ioredis) and ${firstAfter(waited.acked)} ms (node-redis, WAIT 1 100); ` +
        `sessions acknowledged ${plain.acked.length} without WAIT (${lostPlain} lost), ${waited.acked.length} with WAIT ` +
        `(${confirmed.length} of them confirmed by a replica, ${lostWaited} of those lost); killed at ${new Date(killedAt).toISOString()}, ` +
        `switches: ${JSON.stringify(switches)}`,
    );
    if (lostWaited !== 0) {
      // Which failover happened when: the first Sentinel's log (a failover before the kill would explain it).
      const log = sentinelLog().split('\n').slice(-60).join('\n');
      throw new Error(`${lostWaited} sessions confirmed by WAIT were lost (killed at ${new Date(killedAt).toISOString()}); sentinel log:\n${log}`);
    }

    // The old primary comes back, as it was configured (a primary): Sentinel turns it into a replica.
    const restarted = await startLapse('a', p0!, null);
    const restartedErrors: string[] = [];
    await eventually(async () => {
      const role = (await callDuringReconfiguration(restartedErrors, restarted.port, 'ROLE')) as unknown[] | null;
      return role !== null && role[0] === 'slave' && role[2] === promoted.port && role[3] === 'connected';
    }, 'the old primary rejoining as a replica', 60_000).catch((e) => {
      throw new Error(`${(e as Error).message}; errors: ${JSON.stringify(restartedErrors.slice(-5))}`);
    });
    await eventually(async () => (await call(restarted.port, 'DBSIZE')) === (await call(promoted.port, 'DBSIZE')), 'its data');

    io.disconnect();
    await nr.close();
    await plainApp.close();
    await waitApp.close();
  }, 150_000);
});
