import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { createServer, ListenError } from '../../src/index.js';
import { ConfigFileError } from '../../src/config/config.js';
import { freePort } from '../helpers/redis-server.js';
import { RawClient } from '../helpers/raw-client.js';
import { runCli } from '../helpers/cli-process.js';

/**
 * Every form of `bind` that redis.conf documents, differentially: redis-server 7.0 and
 * lapse are started with the same bind value, and compared on
 *   - whether they start (or exit, and with which log lines: Redis's "Warning: Could
 *     not create server TCP listening socket ..." for each address that failed, then
 *     "Failed listening on port ... (TCP), aborting." or "Configured to not listen
 *     anywhere, exiting."), with the port numbers masked;
 *   - which of this machine's addresses accept a connection (127.0.0.1 and ::1, and its
 *     other addresses if it has any);
 *   - CONFIG GET bind.
 * Addresses that are surely not this machine's come from the documentation ranges
 * (203.0.113.0/24, 2001:db8::/32).
 */

/** This machine's addresses to try connecting to: loopback, and the others (link-local IPv6 left out: it needs a scope). */
function probeAddresses(): string[] {
  const out = ['127.0.0.1', '::1'];
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) {
      if (!a.internal && !(a.family === 'IPv6' && a.address.startsWith('fe80'))) out.push(a.address);
    }
  }
  return out;
}

const PROBES = probeAddresses();

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, 2000);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

async function acceptingAddresses(port: number): Promise<string[]> {
  const out: string[] = [];
  for (const host of PROBES) if (await connects(host, port)) out.push(host);
  return out;
}

const LISTEN_LINE = /(Warning: Could not create server TCP listening socket .*|Failed listening on port .*|Configured to not listen anywhere, exiting\.)$/;

/** The listen-related log lines, with the port masked. */
function listenLines(lines: string[], port: number): string[] {
  return lines
    .map((l) => LISTEN_LINE.exec(l)?.[1])
    .filter((l): l is string => l !== undefined)
    .map((l) => l.replaceAll(`:${port}:`, ':PORT:').replaceAll(`port ${port} `, 'port PORT '));
}

interface Outcome {
  started: boolean;
  lines: string[];
  accepting: string[];
  configBind: string | null;
}

/** redis-server with this bind value (its words as separate arguments, as redis.conf lists them). */
async function redisWith(bind: string): Promise<Outcome> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-bind-'));
  const words = bind === '' ? [''] : bind.split(' ');
  const child = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, '--bind', ...words], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const started = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 10_000);
    const check = () => {
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(true);
      }
    };
    child.stdout.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      resolve(output.includes('Ready to accept connections'));
    });
  });
  const { accepting, configBind } = started ? await probe(port) : { accepting: [], configBind: null };
  if (started) child.kill('SIGKILL');
  await exited;
  fs.rmSync(dir, { recursive: true, force: true });
  return { started, lines: listenLines(output.split('\n'), port), accepting, configBind };
}

/** Which addresses accept connections on port, and CONFIG GET bind asked through the first. */
async function probe(port: number): Promise<{ accepting: string[]; configBind: string | null }> {
  const accepting = await acceptingAddresses(port);
  const c = await RawClient.connect(port, accepting[0]);
  const configBind = (await c.call('CONFIG', 'GET', 'bind')).toString('latin1');
  c.close();
  return { accepting, configBind };
}

async function lapseWith(bind: string): Promise<Outcome> {
  const port = await freePort();
  const logged: string[] = [];
  const server = createServer({ port, bind, logger: { log: (_level, line) => logged.push(line) } });
  let started = true;
  try {
    await server.listen();
  } catch (e) {
    if (!(e instanceof ListenError)) throw e;
    started = false;
  }
  const { accepting, configBind } = started ? await probe(port) : { accepting: [], configBind: null };
  await server.close();
  return { started, lines: listenLines(logged, port), accepting, configBind };
}

async function compare(bind: string): Promise<Outcome> {
  const redis = await redisWith(bind);
  const lapse = await lapseWith(bind);
  expect(lapse, `bind '${bind}'`).toEqual(redis);
  return redis;
}

describe('bind: the forms redis.conf documents, as Redis reads them', () => {
  test("'* -::*': every IPv4 and every IPv6 address", async () => {
    const r = await compare('* -::*');
    expect(r.accepting).toEqual(expect.arrayContaining(['127.0.0.1', '::1']));
    expect(r.configBind).toBe('*2\r\n$4\r\nbind\r\n$6\r\n* -::*\r\n');
  });

  test("'*': IPv4 only; '::*': IPv6 only", async () => {
    const v4 = await compare('*');
    expect(v4.accepting).toContain('127.0.0.1');
    expect(v4.accepting).not.toContain('::1');
    const v6 = await compare('::*');
    expect(v6.accepting).toContain('::1');
    expect(v6.accepting).not.toContain('127.0.0.1');
  });

  test('several addresses, IPv4 and IPv6; a name resolved to its IPv4 address', async () => {
    expect((await compare('127.0.0.1 ::1')).accepting).toEqual(['127.0.0.1', '::1']);
    expect((await compare('localhost')).accepting).toEqual(['127.0.0.1']);
  });

  test("the '-' prefix skips an address that is not this machine's, with Redis's warning", async () => {
    const v4 = await compare('-203.0.113.7 127.0.0.1');
    expect(v4.lines).toEqual(['Warning: Could not create server TCP listening socket 203.0.113.7:PORT: bind: Cannot assign requested address']);
    expect(v4.accepting).toEqual(['127.0.0.1']);
    const v6 = await compare('-2001:db8::7 ::1');
    expect(v6.lines).toEqual(['Warning: Could not create server TCP listening socket 2001:db8::7:PORT: bind: Cannot assign requested address']);
  });

  test('without the prefix, an address that is not available stops the server', async () => {
    const r = await compare('127.0.0.1 203.0.113.7');
    expect(r.started).toBe(false);
    expect(r.lines).toEqual([
      'Warning: Could not create server TCP listening socket 203.0.113.7:PORT: bind: Cannot assign requested address',
      'Failed listening on port PORT (TCP), aborting.',
    ]);
  });

  test("other failures stop the server even with '-': a name that does not resolve, a link-local address without a scope, an address given twice", async () => {
    for (const bind of ['nosuchhost.invalid', '-nosuchhost.invalid 127.0.0.1', 'fe80::1', '-fe80::1 127.0.0.1', '127.0.0.1 127.0.0.1']) {
      const r = await compare(bind);
      expect(r.started, bind).toBe(false);
      expect(r.lines.at(-1), bind).toBe('Failed listening on port PORT (TCP), aborting.');
    }
  }, 30_000);

  test("no address at all (bind \"\", or only optional ones that were skipped): \"Configured to not listen anywhere\"", async () => {
    expect((await compare('')).lines).toEqual(['Configured to not listen anywhere, exiting.']);
    expect((await compare('-203.0.113.7')).lines).toEqual([
      'Warning: Could not create server TCP listening socket 203.0.113.7:PORT: bind: Cannot assign requested address',
      'Configured to not listen anywhere, exiting.',
    ]);
  });

  test('up to 16 addresses; 17 is a configuration error in Redis\'s words', async () => {
    const sixteen = Array.from({ length: 16 }, (_, i) => `127.0.0.${i + 1}`).join(' ');
    expect((await compare(sixteen)).started).toBe(true);
    const seventeen = `${sixteen} 127.0.0.17`;
    const redis = await redisWith(seventeen);
    expect(redis.started).toBe(false);
    expect(() => createServer({ port: 0, bind: seventeen })).toThrow(new ConfigFileError('Too many bind addresses specified.'));
  });
});

test('the CLI: a bad address logs Redis\'s lines and exits with code 1 and one line on stderr', async () => {
  const port = await freePort();
  const cli = runCli(['--port', String(port), '--save', '', '--bind', '127.0.0.1 203.0.113.7']);
  const code = await cli.exited();
  expect(code).toBe(1);
  const out = cli.output();
  expect(out).toContain(`# Warning: Could not create server TCP listening socket 203.0.113.7:${port}: bind: Cannot assign requested address\n`);
  expect(out).toContain(`# Failed listening on port ${port} (TCP), aborting.\n`);
  expect(out.trimEnd().split('\n').at(-1)).toBe(`Could not listen on 203.0.113.7:${port}: bind: Cannot assign requested address`);
}, 30_000);
