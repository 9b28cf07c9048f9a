/**
 * Does Redis's uninitialised LZF hash table show in its output? liblzf in Redis 7.0 is
 * built with INIT_HTAB 0: lzf_compress's 256 KiB table lives on the stack, not cleared,
 * so slots left by an earlier call (same stack depth, same addresses) can offer matches
 * a clean table would not. lapse's compressor reproduces the clean-table output.
 *
 *   npx tsx bench/micro/lzf-stale-table.ts [values=3000]
 *
 * For a seeded sequence of values (session-like JSON and small-alphabet text, so earlier
 * values leave entries that look useful), it computes two predictions with lapse's compressor: "clean" (a fresh
 * table for each value: lapse's output) and "stale" (the table carried over from the
 * previous value in the sequence: what Redis would write if its stack slots survived
 * untouched between calls). It then DUMPs the values in that order on a real
 * redis-server, back to back and interleaved with other commands, and counts which
 * prediction each payload matches. Not a timing: an experiment.
 *
 * Finding (3000 values, all three modes): every payload is the clean-table one, and the
 * carried-over model itself changes none; lzf.ts explains why it cannot (LzfCompressor).
 */
import { LzfCompressor } from '../../src/persistence/lzf.js';
import { startRedis } from '../../test/helpers/redis-server.js';
import { RawClient } from '../../test/helpers/raw-client.js';
import { decodeReply } from '../../test/helpers/resp.js';
import { rng } from '../../test/helpers/rng.js';

const N = Number(process.argv[2] ?? 3000);

const rnd = rng(3);
const int = (n: number) => Math.floor(rnd() * n);

/** Session-like JSON, or text of a small alphabet (3-byte sequences recur everywhere). */
function value(): Buffer {
  if (int(2) === 0) return Buffer.from(Array.from({ length: 21 + int(600) }, () => 0x61 + int(4)));
  const length = 60 + int(int(2) ? 400 : 3000);
  let s = `{"cookie":{"maxAge":${int(9e7)},"path":"/"},"user":"u${int(1e6)}"`;
  while (s.length < length) s += `,"${['cart', 'seen', 'flash', 'csrf', 'prefs'][int(5)]}${int(20)}":"${int(1e9).toString(36).repeat(1 + int(3))}"`;
  return Buffer.from(s.slice(0, length), 'latin1');
}

/** The compressed bytes, or null where liblzf gives up (Redis's limit: len - 4). */
function run(c: LzfCompressor, v: Buffer, carryOver: boolean): string | null {
  // Carrying the table over: the compressor marks earlier calls' entries stale by a base
  // that grows per call; holding it still makes them read as this call's positions.
  if (carryOver) (c as unknown as { base: number }).base = 1;
  const out = Buffer.alloc(v.length);
  const n = c.compress(v, v.length, out, v.length - 4);
  return n === 0 ? null : out.subarray(0, n).toString('hex');
}

/** The LZF data of a DUMP payload of a string, or null if stored raw. */
function lzfOf(payload: Buffer): string | null {
  if (payload[0] !== 0) throw new Error('not a string payload');
  if (payload[1] !== 0xc3) return null;
  let pos = 2;
  const len = (): number => {
    const f = payload[pos]!;
    if (f >> 6 === 0) return (pos++, f & 0x3f);
    if (f >> 6 === 1) return ((pos += 2), ((f & 0x3f) << 8) | payload[pos - 1]!);
    pos += 5;
    return payload.readUInt32BE(pos - 4);
  };
  const clen = len();
  len();
  return payload.subarray(pos, pos + clen).toString('hex');
}

const values = Array.from({ length: N }, value);
const clean = values.map((v) => run(new LzfCompressor(), v, false));
const carried = new LzfCompressor();
const stale = values.map((v) => run(carried, v, true));
const predictedDifferent = values.filter((_, i) => clean[i] !== stale[i]).length;
console.log(`${N} values; the carried-over table would change ${predictedDifferent} of them`);

const redis = await startRedis();
try {
  const c = await RawClient.connect(redis.port);
  for (let i = 0; i < N; i++) await c.call('SET', `k${i}`, values[i]!);
  for (const mode of ['back to back', 'interleaved', 'back to back again']) {
    let matchClean = 0;
    let matchStale = 0;
    let neither = 0;
    for (let i = 0; i < N; i++) {
      if (mode === 'interleaved') {
        await c.call('HSET', 'h', 'f', String(i));
        await c.call('INFO');
        await c.call('SCAN', '0', 'COUNT', '50');
      }
      const reply = decodeReply(await c.call('DUMP', `k${i}`))!.reply;
      if (reply.type !== 'bulk') throw new Error('DUMP did not answer a bulk');
      const got = lzfOf(reply.value);
      if (got === clean[i]) matchClean++;
      else if (got === stale[i]) matchStale++;
      else neither++;
    }
    console.log(`redis-server, ${mode}: ${matchClean} as a clean table, ${matchStale} as the carried-over one only, ${neither} neither`);
  }
  c.close();
} finally {
  await redis.stop();
}
