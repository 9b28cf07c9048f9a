/**
 * The LZF compressor alone (src/persistence/lzf.ts), as the RDB writer and DUMP call it:
 * limit len - 4, one compressor reused for every string. Median of 11 rounds after a
 * warm-up round.
 *
 *   npx tsx bench/micro/lzf.ts [values=200000] [module=src/persistence/lzf.ts]
 *
 * `module` is another file exporting LzfCompressor (an earlier version, for a before and
 * after in one run of the same inputs).
 *
 * Inputs: 1 MB of session-like JSON text, 1 MB of random bytes (incompressible: liblzf
 * gives up once the output passes the limit), and `values` session-like values of 230
 * bytes each (the size a session store keeps), each compressed on its own.
 * No redis-server here: this measures lapse's code only; timings on a shared machine
 * are noisy.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LzfCompressor as Compressor } from '../../src/persistence/lzf.js';
import { rng } from '../../test/helpers/rng.js';

const VALUES = Number(process.argv[2] ?? 200_000);
const MODULE = process.argv[3] ? pathToFileURL(path.resolve(process.argv[3])).href : '../../src/persistence/lzf.js';
const ROUNDS = 11;
const { LzfCompressor } = (await import(MODULE)) as { LzfCompressor: new () => Compressor };

const rnd = rng(1);
const int = (n: number) => Math.floor(rnd() * n);

function sessionJson(length: number): Buffer {
  let s = '{"cookie":{"originalMaxAge":86400000,"expires":"2025-01-0' + int(10) + 'T12:00:00.000Z","httpOnly":true,"path":"/"}';
  while (s.length < length) s += `,"k${int(40)}":"${int(1e9).toString(36)}${'x'.repeat(int(8))}"`;
  return Buffer.from(s.slice(0, length), 'latin1');
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const compressor = new LzfCompressor();
const out = Buffer.allocUnsafe(2 * 1024 * 1024);

function big(name: string, input: Buffer): void {
  const times: number[] = [];
  let clen = 0;
  for (let r = -1; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    clen = compressor.compress(input, input.length, out, input.length - 4);
    if (r >= 0) times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const ms = median(times);
  console.log(`${name.padEnd(28)} ${ms.toFixed(2).padStart(8)} ms  ${(input.length / 1e6 / (ms / 1000)).toFixed(0).padStart(5)} MB/s  -> ${clen === 0 ? 'raw (gave up)' : `${clen} bytes`}`);
}

big('1 MB session JSON', sessionJson(1_000_000));
big('1 MB random bytes', Buffer.from(Array.from({ length: 1_000_000 }, () => int(256))));

const values = Array.from({ length: VALUES }, () => sessionJson(230));
const times: number[] = [];
let compressed = 0;
let bytes = 0;
for (let r = -1; r < ROUNDS; r++) {
  compressed = 0;
  bytes = 0;
  const t0 = process.hrtime.bigint();
  for (const v of values) {
    const n = compressor.compress(v, v.length, out, v.length - 4);
    if (n > 0) compressed++;
    bytes += n || v.length;
  }
  if (r >= 0) times.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
const ms = median(times);
console.log(`${`${VALUES} x 230-byte values`.padEnd(28)} ${ms.toFixed(1).padStart(8)} ms  ${((ms * 1e6) / VALUES).toFixed(0).padStart(5)} ns/value  ${compressed} compressed, ${bytes} bytes out`);
