import net from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createServer, type LapseServer } from '../../src/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { encodeCommand } from '../helpers/resp.js';
import { rng } from '../helpers/rng.js';

/**
 * A raw-socket fuzzer: random bytes, and valid requests damaged (flipped bytes, wrong
 * and huge lengths, lost CRLFs, inline text inside, truncation, several frames glued
 * together), each batch sent by many connections at once to one lapse server. The
 * server must never fail: every fuzzing connection is answered, closed (protocol error),
 * or left waiting for the rest of an incomplete request, as Redis would; between
 * batches a well-behaved client gets correct replies to SET/GET round trips; at the end
 * no connection is left behind. Deterministic (seeded), bounded: BATCHES x PER_BATCH
 * frames. The counts are printed (the report quotes them).
 */

const BATCHES = 100;
const PER_BATCH = 100;
/** How long a fuzzing connection waits for an answer or a close before giving up. */
const WAIT_MS = 150;

let server: LapseServer;
let port = 0;
const errors: string[] = [];
const onUncaught = (e: unknown) => errors.push(String(e));

beforeAll(async () => {
  process.on('uncaughtException', onUncaught);
  server = createServer({
    port: 0,
    bind: '127.0.0.1',
    // Smaller limits than the defaults, so that the fuzzer reaches them.
    'proto-max-bulk-len': '1mb',
    'client-query-buffer-limit': '2mb',
    logger: { log: () => {} },
  });
  port = (await server.listen()).port;
});

afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  await server.close();
});

const random = rng(20261127);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
const int = (n: number): number => Math.floor(random() * n);

function randomBytes(n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = int(256);
  return out;
}

function word(): string {
  return pick(['k', 'key', 'session:1', 'h', 'f', '', 'x'.repeat(int(40)), randomBytes(int(12)).toString('latin1'), String(int(1000) - 500)]);
}

/**
 * Commands the fuzzer starts from: everything a session store client sends, and the
 * connection-state commands. Nothing that changes the server for everyone (CONFIG SET,
 * FLUSHALL, SHUTDOWN, CLIENT KILL): the fuzzer attacks the protocol, not the admin API.
 */
function validCommand(): string[] {
  const shapes: (() => string[])[] = [
    () => ['SET', word(), word()],
    () => ['SET', word(), word(), pick(['EX', 'PX', 'NX', 'XX', 'GET', 'KEEPTTL']), String(int(100) - 10)],
    () => ['GET', word()],
    () => ['DEL', word(), word()],
    () => ['HSET', word(), word(), word(), word(), word()],
    () => ['HGETALL', word()],
    () => ['INCR', word()],
    () => ['APPEND', word(), word()],
    () => ['EXPIRE', word(), String(int(100) - 5)],
    () => ['TTL', word()],
    () => ['MGET', word(), word(), word()],
    () => ['PING'],
    () => ['ECHO', word()],
    () => ['MULTI'],
    () => ['EXEC'],
    () => ['DISCARD'],
    () => ['SUBSCRIBE', word()],
    () => ['PUBLISH', word(), word()],
    () => ['HELLO', pick(['2', '3', 'x'])],
    () => ['SELECT', String(int(20) - 2)],
    () => ['SCAN', '0', 'COUNT', String(int(50))],
    () => ['RESET'],
    () => ['QUIT'],
    () => [word(), word()],
  ];
  return pick(shapes)();
}

/** A valid request damaged in one or a few ways. */
function damaged(): Buffer {
  let wire = Buffer.concat(Array.from({ length: 1 + int(3) }, () => encodeCommand(validCommand())));
  const mutations = 1 + int(3);
  for (let m = 0; m < mutations; m++) {
    const text = wire.toString('latin1');
    switch (int(7)) {
      case 0: { // flip a bit
        if (wire.length === 0) break;
        const copy = Buffer.from(wire);
        const at = int(copy.length);
        copy[at] = copy[at]! ^ (1 << int(8));
        wire = copy;
        break;
      }
      case 1: { // a wrong length in a header
        const headers = [...text.matchAll(/[*$](-?\d+)\r\n/g)];
        if (headers.length === 0) break;
        const h = pick(headers);
        const value = pick(['-1', '0', '1', '3', '99', '16385', '2147483647', '2147483648', '9223372036854775807',
          '99999999999999999999', '1048577', '536870912', '-7', 'x', '']);
        wire = Buffer.from(text.slice(0, h.index! + 1) + value + text.slice(h.index! + 1 + h[1]!.length), 'latin1');
        break;
      }
      case 2: { // lose a CRLF
        const ends = [...text.matchAll(/\r\n/g)];
        if (ends.length === 0) break;
        const e = pick(ends);
        wire = Buffer.from(text.slice(0, e.index!) + (random() < 0.5 ? '' : pick(['\r', '\n'])) + text.slice(e.index! + 2), 'latin1');
        break;
      }
      case 3: { // inline text inside
        const at = int(wire.length + 1);
        const inline = pick(['PING\r\n', 'SET a "b c"\r\n', 'GET "unbalanced\r\n', 'ECHO \'x\\\'\r\n', '\r\n', ' \n']);
        wire = Buffer.concat([wire.subarray(0, at), Buffer.from(inline, 'latin1'), wire.subarray(at)]);
        break;
      }
      case 4: // truncate
        wire = wire.subarray(0, int(wire.length + 1));
        break;
      case 5: { // delete a few bytes
        const at = int(wire.length + 1);
        wire = Buffer.concat([wire.subarray(0, at), wire.subarray(at + 1 + int(6))]);
        break;
      }
      case 6: // a huge header alone
        wire = Buffer.concat([wire, Buffer.from(pick(['*2147483647\r\n', '*1\r\n$1048576\r\n', '$5\r\n', '*3\r\n$3\r\nSET\r\n']), 'latin1')]);
        break;
    }
  }
  return wire;
}

function frame(): { kind: string; bytes: Buffer } {
  const r = random();
  if (r < 0.2) return { kind: 'random bytes', bytes: randomBytes(1 + int(300)) };
  if (r < 0.3) return { kind: 'a long line', bytes: Buffer.concat([randomBytes(1 + int(100)).fill(0x61, 0, 1), Buffer.alloc(65 * 1024 + int(2000), 0x62)]) };
  if (r < 0.4) {
    const wire = encodeCommand(validCommand());
    return { kind: 'truncated', bytes: wire.subarray(0, Math.max(1, int(wire.length))) };
  }
  return { kind: 'damaged', bytes: damaged() };
}

/** Answered (and still open), answered then closed (a protocol error, QUIT), closed without a reply (the query buffer limit), or waiting for more. */
type Outcome = 'answered' | 'answeredThenClosed' | 'closed' | 'waiting';

/** Sends bytes on a fresh connection, in a few pieces; reports what the server did. */
function fuzzOne(bytes: Buffer): Promise<Outcome> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    let answered = false;
    let settled = false;
    const finish = (o: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      resolve(o);
    };
    s.on('data', () => (answered = true));
    s.on('error', () => finish(answered ? 'answeredThenClosed' : 'closed'));
    s.on('close', () => finish(answered ? 'answeredThenClosed' : 'closed'));
    s.on('connect', () => {
      const pieces = 1 + int(4);
      const size = Math.ceil(bytes.length / pieces);
      for (let i = 0; i < bytes.length; i += size) s.write(bytes.subarray(i, i + size));
    });
    const timer = setTimeout(() => finish(answered ? 'answered' : 'waiting'), WAIT_MS);
  });
}

test('random, truncated and damaged frames: the server answers, closes or waits, and keeps serving others', async () => {
  const checker = await RawClient.connect(port);
  const outcomes: Record<Outcome, number> = { answered: 0, answeredThenClosed: 0, closed: 0, waiting: 0 };
  const kinds: Record<string, number> = {};
  let frames = 0;
  let bytes = 0;
  for (let batch = 0; batch < BATCHES; batch++) {
    const sent = Array.from({ length: PER_BATCH }, () => frame());
    const results = await Promise.all(sent.map((f) => fuzzOne(f.bytes)));
    for (let i = 0; i < sent.length; i++) {
      outcomes[results[i]!]++;
      kinds[sent[i]!.kind] = (kinds[sent[i]!.kind] ?? 0) + 1;
      bytes += sent[i]!.bytes.length;
    }
    frames += sent.length;
    // A well-behaved client is served correctly between batches.
    const value = `value-${batch}-\r\n\0\xff`;
    expect((await checker.call('SET', `checker:${batch}`, value)).toString('latin1')).toBe('+OK\r\n');
    expect((await checker.call('GET', `checker:${batch}`)).toString('latin1')).toBe(`$${value.length}\r\n${value}\r\n`);
    expect((await checker.call('PING')).toString('latin1')).toBe('+PONG\r\n');
  }
  expect(errors).toEqual([]);
  // Every fuzzing connection went away with its socket: only the checker is left.
  for (let i = 0; i < 50 && server.clientCount > 1; i++) await new Promise((r) => setTimeout(r, 20));
  expect(server.clientCount).toBe(1);
  expect(outcomes.answered).toBeGreaterThan(0);
  expect(outcomes.answeredThenClosed).toBeGreaterThan(0);
  expect(outcomes.waiting).toBeGreaterThan(0);
  console.log('fuzz:', JSON.stringify({ frames, bytes, outcomes, kinds }));
  checker.close();
}, 60_000);
