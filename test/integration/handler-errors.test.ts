import { afterAll, beforeAll, expect, test } from 'vitest';
import { createServer, type LapseServer } from '../../src/index.js';
import type { CommandSpec, Handler } from '../../src/commands/table.js';
import { RawClient } from '../helpers/raw-client.js';
import { encodeCommand } from '../helpers/resp.js';

/**
 * A bug in one command handler costs one reply, never the process or another client:
 * the dispatcher turns an exception into an -ERR reply (dropping whatever the handler
 * had written) and a log line. Proven by injecting throwing handlers into the command
 * table of an in-process server.
 */

let server: LapseServer;
let port = 0;
const logged: { level: string; line: string }[] = [];

beforeAll(async () => {
  server = createServer({ port: 0, bind: '127.0.0.1', logger: { log: (level, line) => logged.push({ level, line }) } });
  port = (await server.listen()).port;
});
afterAll(() => server.close());

/** Replaces a command's handler (the table's specs are read-only to commands, not to this test). */
function inject(spec: CommandSpec, handler: Handler): () => void {
  const original = spec.handler;
  (spec as { handler: Handler | undefined }).handler = handler;
  return () => {
    (spec as { handler: Handler | undefined }).handler = original;
  };
}

test('an exception becomes an -ERR reply and a log line; the pipeline, the client and others go on', async () => {
  const echo = server.commands.lookup('echo')!;
  const restore = inject(echo, (c, argv) => {
    c.reply.arrayHeader(3); // half a reply, which must not reach the client
    c.reply.bulk('partial');
    if (argv[1] === 'string') throw 'not an Error'; // eslint-disable-line no-throw-literal
    throw new TypeError(`boom on ${argv[1]}`);
  });
  try {
    const c = await RawClient.connect(port);
    const other = await RawClient.connect(port);
    c.write(Buffer.concat([
      encodeCommand(['SET', 'k', 'v']),
      encodeCommand(['ECHO', 'x']),
      encodeCommand(['GET', 'k']),
      encodeCommand(['ECHO', 'string']),
      encodeCommand(['PING']),
    ]));
    expect((await c.readReplyBytes()).toString()).toBe('+OK\r\n');
    expect((await c.readReplyBytes()).toString()).toBe("-ERR internal error running 'echo': boom on x\r\n");
    expect((await c.readReplyBytes()).toString()).toBe('$1\r\nv\r\n');
    expect((await c.readReplyBytes()).toString()).toBe("-ERR internal error running 'echo': not an Error\r\n");
    expect((await c.readReplyBytes()).toString()).toBe('+PONG\r\n');
    expect((await other.call('GET', 'k')).toString()).toBe('$1\r\nv\r\n');
    const line = logged.find((l) => l.line.startsWith("Error running 'echo': TypeError: boom on x"));
    expect(line?.level).toBe('warning');
    expect(line?.line).toContain('handler-errors.test.ts'); // the stack, for the bug report
    // Counted as a failed call and an error reply, as Redis counts errors.
    expect(echo.failedCalls).toBe(2);
    expect((await c.call('INFO', 'errorstats')).toString()).toContain('errorstat_ERR:count=2');
    c.close();
    other.close();
  } finally {
    restore();
  }
});

test('inside MULTI/EXEC, a throwing command is one error in the EXEC array; a subcommand too', async () => {
  const get = server.commands.lookup('get')!;
  const configGet = server.commands.lookup('config')!.subcommands!.get('get')!;
  const restoreGet = inject(get, () => {
    throw new RangeError('get broke');
  });
  const restoreConfig = inject(configGet, () => {
    throw new Error('config get broke');
  });
  try {
    const c = await RawClient.connect(port);
    expect((await c.call('MULTI')).toString()).toBe('+OK\r\n');
    expect((await c.call('SET', 'a', '1')).toString()).toBe('+QUEUED\r\n');
    expect((await c.call('GET', 'a')).toString()).toBe('+QUEUED\r\n');
    expect((await c.call('INCR', 'a')).toString()).toBe('+QUEUED\r\n');
    expect((await c.call('EXEC')).toString()).toBe("*3\r\n+OK\r\n-ERR internal error running 'get': get broke\r\n:2\r\n");
    expect((await c.call('CONFIG', 'GET', 'maxmemory')).toString()).toBe("-ERR internal error running 'config|get': config get broke\r\n");
    expect((await c.call('PING')).toString()).toBe('+PONG\r\n');
    c.close();
  } finally {
    restoreGet();
    restoreConfig();
  }
  const c = await RawClient.connect(port);
  expect((await c.call('GET', 'a')).toString()).toBe('$1\r\n2\r\n'); // the real handler is back
  c.close();
});

test('a handler that throws on every command of a long pipeline does not stop the server', async () => {
  const incr = server.commands.lookup('incr')!;
  const restore = inject(incr, () => {
    throw new Error('always');
  });
  try {
    const c = await RawClient.connect(port);
    c.write(Buffer.concat(Array.from({ length: 2000 }, () => encodeCommand(['INCR', 'n']))));
    for (let i = 0; i < 2000; i++) expect((await c.readReplyBytes())[0]).toBe(0x2d);
    expect((await c.call('PING')).toString()).toBe('+PONG\r\n');
    c.close();
  } finally {
    restore();
  }
});
