/**
 * The RESP codec alone: the request parser turning pipelined commands into argv arrays
 * (no dispatch), and the reply writer encoding replies into its slab, in ns per
 * command / reply. Median of 5 rounds.
 *
 *   npx tsx bench/micro/codec.ts [commands=1000000]
 */
import { RequestParser } from '../../src/protocol/parser.js';
import { ReplyWriter } from '../../src/protocol/writer.js';

const N = Number(process.argv[2] ?? 1_000_000);
const VALUE = 'x'.repeat(230);
const key = (i: number) => `session:${String(i % 100_000).padStart(12, '0')}abcdefghijklmnopq`;

function encode(args: string[]): string {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${a.length}\r\n${a}\r\n`;
  return s;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function report(name: string, values: number[]): void {
  console.log(`${name.padEnd(34)} ${median(values).toFixed(0).padStart(6)} ns (min ${Math.min(...values).toFixed(0)})`);
}

/** Parses N commands fed in reads of `perRead` commands each. */
function parse(name: string, make: (i: number) => string[], perRead: number): void {
  const chunks: Buffer[] = [];
  for (let i = 0; i < N; i += perRead) {
    let s = '';
    for (let j = i; j < i + perRead && j < N; j++) s += encode(make(j));
    chunks.push(Buffer.from(s, 'latin1'));
  }
  const parser = new RequestParser({ maxBulkLength: 512 * 2 ** 20, maxQueryBuffer: 2 ** 30 });
  let argc = 0;
  const sink = (argv: string[]) => {
    argc += argv.length;
    return true;
  };
  const times: number[] = [];
  for (let round = 0; round < 5; round++) {
    const t = process.hrtime.bigint();
    for (const c of chunks) parser.feed(c, sink);
    times.push(Number(process.hrtime.bigint() - t) / N);
  }
  if (argc === 0) throw new Error('nothing parsed');
  report(`parse ${name}`, times);
}

/** Encodes N replies, taking the slab every 64 KiB as a connection does. */
function write(name: string, reply: (w: ReplyWriter, i: number) => void): void {
  const w = new ReplyWriter();
  const times: number[] = [];
  for (let round = 0; round < 5; round++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < N; i++) {
      reply(w, i);
      if (w.pending >= 65536) w.take();
    }
    w.take();
    times.push(Number(process.hrtime.bigint() - t) / N);
  }
  report(`write ${name}`, times);
}

parse('GET (P=1, one per read)', (i) => ['GET', key(i)], 1);
parse('GET (P=16)', (i) => ['GET', key(i)], 16);
parse('SET 230 B value (P=16)', (i) => ['SET', key(i), VALUE], 16);
parse('SET ... EX 86400 (P=16)', (i) => ['SET', key(i), VALUE, 'EX', '86400'], 16);
parse('MGET 10 keys (P=16)', (i) => ['MGET', ...Array.from({ length: 10 }, (_, j) => key(i + j))], 16);
write('+OK', (w) => w.simple('OK'));
write(':integer', (w, i) => w.integer(i));
write('bulk 230 B', (w) => w.bulk(VALUE));
write('null bulk', (w) => w.nullBulk());
write('array of 10 bulks 230 B', (w) => {
  w.arrayHeader(10);
  for (let j = 0; j < 10; j++) w.bulk(VALUE);
});
