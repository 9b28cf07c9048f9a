/**
 * What timing every command costs, without sockets: two in-process servers, one timing
 * commands (as shipped) and one with command-timing no, fed the same pipelined SETs and
 * GETs through parser, dispatcher and reply writer in alternating order; the CPU time
 * (process.cpuUsage) per command of each, and the median of the paired on/off ratios
 * over 20 rounds (4 warm-up rounds dropped).
 *
 *   CHUNK=16 npx tsx bench/micro/command-timing.ts   (16 commands per read, as -P 16; CHUNK=1 as -P 1)
 */
import { createServer } from '../../src/index.js';
import { Client, socketlessTransport } from '../../src/commands/context.js';
import { execute } from '../../src/commands/dispatch.js';
import { RequestParser } from '../../src/protocol/parser.js';

const CHUNK = Number(process.env.CHUNK ?? 16);
const N = 200_000;
const VALUE = 'x'.repeat(230);
const enc = (a: string[]) => `*${a.length}\r\n` + a.map((x) => `$${x.length}\r\n${x}\r\n`).join('');
const key = (i: number) => `key:${String((i * 7919) % 100000).padStart(12, '0')}`;
function chunks(make: (i: number) => string[]): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < N; i += CHUNK) {
    let s = '';
    for (let j = i; j < i + CHUNK; j++) s += enc(make(j));
    out.push(Buffer.from(s, 'latin1'));
  }
  return out;
}
const workloads = { SET: chunks((i) => ['SET', key(i), VALUE]), GET: chunks((i) => ['GET', key(i)]) };
function setup(timing: boolean) {
  const server = createServer({ port: 0 });
  if (!timing) server.config.setMany([['command-timing', 'no']]);
  const client = new Client(server, socketlessTransport('b', '127.0.0.1:1'));
  const parser = new RequestParser(server.parserLimits);
  const sink = (argv: string[]) => { execute(client, argv); if (server.reply.pending >= 65536) server.reply.take(); return true; };
  return (bufs: Buffer[]) => {
    const clock = server.clock;
    for (const b of bufs) {
      // As a connection: one clock read per read, offered to its first command.
      server.commandTimer.offerStart(clock.monotonic());
      parser.feed(b, sink);
      server.commandTimer.close();
      server.reply.take();
    }
  };
}
const variants = { on: setup(true), off: setup(false) };
const cpu: Record<string, Record<string, number[]>> = { on: { SET: [], GET: [] }, off: { SET: [], GET: [] } };
for (let round = 0; round < 24; round++) {
  for (const v of (round % 2 ? ['on', 'off'] : ['off', 'on']) as ('on' | 'off')[]) {
    for (const w of ['SET', 'GET'] as const) {
      const t = process.cpuUsage();
      variants[v](workloads[w]);
      const d = process.cpuUsage(t);
      if (round >= 4) cpu[v]![w]!.push(((d.user + d.system) * 1000) / N);
    }
  }
}
const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
for (const w of ['SET', 'GET']) {
  const on = med(cpu.on![w]!), off = med(cpu.off![w]!);
  const ratios = cpu.on![w]!.map((x, i) => x / cpu.off![w]![i]!);
  console.log(`CHUNK=${CHUNK} ${w}: on ${on.toFixed(0)} ns, off ${off.toFixed(0)} ns CPU per command; on/off median ${med(ratios).toFixed(3)} (paired)`);
}
process.exit(0);
