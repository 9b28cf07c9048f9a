import { afterEach, expect, test } from 'vitest';
import { runCli, type CliProcess } from '../helpers/cli-process.js';
import { freePort } from '../helpers/redis-server.js';
import { RawClient } from '../helpers/raw-client.js';

/**
 * The log's reader goes away (`lapse | head`, a log collector that dies): Redis ignores
 * SIGPIPE and loses the lines; lapse must not die on the write error either.
 */
const children: CliProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill();
});

test('a closed stdout loses log lines; the server goes on serving', async () => {
  const port = await freePort();
  const cli = runCli(['--port', String(port), '--bind', '127.0.0.1', '--save', '']);
  children.push(cli);
  await cli.waitFor('Ready to accept connections');
  // The pipe's read end is closed: every later log line meets EPIPE.
  cli.child.stdout!.destroy();
  const c = await RawClient.connect(port);
  try {
    for (let i = 0; i < 3; i++) {
      // Each SAVE logs "DB saved on disk".
      expect((await c.call('SAVE')).toString()).toBe('+OK\r\n');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await c.call('PING')).toString()).toBe('+PONG\r\n');
    expect(cli.child.exitCode, cli.output()).toBe(null);
  } catch (e) {
    throw new Error(`${(e as Error).message}; the server's output:\n${cli.output()}`);
  } finally {
    c.close();
  }
});
