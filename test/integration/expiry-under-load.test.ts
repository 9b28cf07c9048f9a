import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli, type CliProcess } from '../helpers/cli-process.js';
import { freePort } from '../helpers/redis-server.js';
import { RawClient } from '../helpers/raw-client.js';
import { encodeCommand } from '../helpers/resp.js';

/**
 * The timer wheel keeps up while clients saturate the server (issue 11). A lapse process
 * is kept busy by LOAD_CONNECTIONS connections that always have PIPELINE slow commands
 * waiting (KEYS over the 100,000 keys of database 1, which match nothing: some ms each,
 * a tiny reply), so each turn of its event loop runs a long batch for every connection,
 * as on a loaded server; meanwhile KEYS keys of database 0 come due at about 50,000 per
 * second. A wheel that runs on its own timer once per turn for 2 ms (the rule before
 * issue 11) falls seconds behind: measured with that code in four runs,
 * expired_reclaim_lag_p99_ms 1,175-2,840, up to 48,000-107,000 keys past their deadline,
 * and in three runs keys still unreclaimed a second after the last deadline. With its
 * share of the time between batches the lag stays within a batch or two (p99 38-195 ms
 * here). The bounds asserted are generous (a shared, noisy machine); the benchmark's
 * churn scenario measures the real figures.
 */

const KEYS = 150_000;
const SPREAD_MS = 3000;
const LOAD_CONNECTIONS = 4;
const PIPELINE = 8;
const OTHER_KEYS = 100_000;
const LAG_P99_BOUND_MS = 500;
/** Half a second of keys coming due. */
const PAST_DEADLINE_BOUND = 25_000;

let cli: CliProcess;
let port: number;

beforeAll(async () => {
  port = await freePort();
  cli = runCli(['--port', String(port), '--bind', '127.0.0.1', '--save', '']);
  await cli.waitFor(`Ready to accept connections on 127.0.0.1:${port}`);
});

afterAll(() => cli?.kill());

function connect(): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Sends commands whose replies are all +OK and waits for every reply. */
async function pipeOk(commands: Buffer, count: number): Promise<void> {
  const s = await connect();
  let bytes = 0;
  await new Promise<void>((resolve, reject) => {
    s.on('data', (d: Buffer) => {
      bytes += d.length;
      if (bytes >= count * 5) resolve();
    });
    s.on('error', reject);
    s.write(commands);
  });
  expect(bytes).toBe(count * 5);
  s.destroy();
}

function infoField(text: string, field: string): number {
  const m = new RegExp(`^${field}:(\\d+)\\r$`, 'm').exec(text);
  if (!m) throw new Error(`INFO has no ${field}`);
  return Number(m[1]);
}

/**
 * A connection that keeps PIPELINE `KEYS nomatch*` in database 1 queued until stopped:
 * each time they are all answered (an empty array each), it sends as many again.
 */
async function loadConnection(): Promise<{ stop: () => void; answered: () => number }> {
  const s = await connect();
  const batch = Buffer.concat(Array.from({ length: PIPELINE }, () => encodeCommand(['KEYS', 'nomatch*'])));
  let running = true;
  let answered = -1; // SELECT's +OK comes first
  let inBatch = 0;
  s.on('error', () => {});
  s.on('data', (d: Buffer) => {
    // Every reply is one line: +OK or *0.
    for (let i = 0; i < d.length; i++) {
      if (d[i] !== 10) continue;
      answered++;
      if (answered > 0 && ++inBatch === PIPELINE) {
        inBatch = 0;
        if (running) s.write(batch);
      }
    }
  });
  s.write(encodeCommand(['SELECT', '1']));
  s.write(batch);
  return {
    stop: () => {
      running = false;
      s.destroy();
    },
    answered: () => answered,
  };
}

describe('expiry under load', () => {
  test(`${KEYS.toLocaleString('en-US')} keys due over ${SPREAD_MS} ms while ${LOAD_CONNECTIONS} connections saturate the server: reclaimed on time`, async () => {
    const other = [encodeCommand(['SELECT', '1'])];
    for (let i = 0; i < OTHER_KEYS; i++) other.push(encodeCommand(['SET', `other:${i}`, 'v']));
    await pipeOk(Buffer.concat(other), OTHER_KEYS + 1);
    // TTLs from 2 s to 2 s + SPREAD_MS, relative to each SET (loading takes under a second).
    const parts: Buffer[] = [];
    for (let i = 0; i < KEYS; i++) {
      parts.push(encodeCommand(['SET', `exp:${i}`, 'v', 'PX', String(2000 + Math.floor((i * SPREAD_MS) / KEYS))]));
    }
    await pipeOk(Buffer.concat(parts), KEYS);
    // The last key is due 2 s + SPREAD_MS from now at the latest.
    const lastDue = Date.now() + 2000 + SPREAD_MS;

    const info = await RawClient.connect(port);
    const loads = await Promise.all(Array.from({ length: LOAD_CONNECTIONS }, () => loadConnection()));
    try {
      // Until every key is due, plus a second; INFO is sampled meanwhile.
      const end = lastDue + 1000;
      let worstPast = 0;
      while (Date.now() < end) {
        const text = (await info.call('INFO', 'stats')).toString('latin1');
        worstPast = Math.max(worstPast, infoField(text, 'expired_keys_past_deadline'));
        await new Promise((r) => setTimeout(r, 200));
      }
      const after = (await info.call('INFO', 'stats')).toString('latin1');
      const lagP99 = infoField(after, 'expired_reclaim_lag_p99_ms');
      const report =
        `lag p50 ${infoField(after, 'expired_reclaim_lag_p50_ms')} ms, p99 ${lagP99} ms, max ${infoField(after, 'expired_reclaim_lag_max_ms')} ms; ` +
        `expired ${infoField(after, 'expired_keys')}; worst keys past deadline ${worstPast}; KEYS answered ${loads.map((l) => l.answered()).join(',')}`;
      // The load ran all along: every connection had its slow commands answered, batch after batch.
      for (const l of loads) expect(l.answered(), report).toBeGreaterThanOrEqual(10 * PIPELINE);
      expect(infoField(after, 'expired_keys'), report).toBe(KEYS);
      expect(lagP99, report).toBeLessThanOrEqual(LAG_P99_BOUND_MS);
      expect(worstPast, report).toBeLessThanOrEqual(PAST_DEADLINE_BOUND);
    } finally {
      for (const l of loads) l.stop();
      info.close();
    }
  }, 30_000);
});
