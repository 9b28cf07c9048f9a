import net from 'node:net';
import { describe, expect, test } from 'vitest';
import { Redis as IORedis } from 'ioredis';
import { createClient } from 'redis';
import { suiteServer } from '../helpers/suite-server.js';
import { RawClient } from '../helpers/raw-client.js';
import { runCli } from '../helpers/cli-process.js';
import { ScriptEngine } from '../../src/scripting/script-engine.js';

/**
 * `while true do end` and friends with real clients: while the script is timed out the
 * server keeps accepting connections and answering them (BUSY), SCRIPT KILL stops it
 * (also inside pcall) and its caller gets Redis's error then its pipelined replies, a
 * script that wrote is UNKILLABLE, a client blocked on a key the script pushes to is
 * served only after the script, and SHUTDOWN NOSAVE stops a server (the CLI process
 * exits) under a script nothing else can stop. The differential side (texts compared
 * with redis-server) is test/compat/script-busy.test.ts.
 */
const lapse = suiteServer();

function io(): IORedis {
  return new IORedis({ port: lapse.port, host: '127.0.0.1', maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true });
}

/** PINGs with a fresh client until BUSY (bounded). */
async function untilBusy(port: number): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    for (let i = 0; i < 300; i++) {
      if ((await c.call('PING')).toString('latin1').startsWith('-BUSY')) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('never busy');
  } finally {
    c.close();
  }
}

describe('a script past busy-reply-threshold', () => {
  test('other clients, new ones included, get BUSY; SCRIPT KILL stops it; the caller gets the error, then its pipeline', async () => {
    const caller = io();
    const admin = io();
    await Promise.all([caller.connect(), admin.connect()]);
    try {
      await admin.config('SET', 'busy-reply-threshold', '100');
      const body = 'while true do end';
      const pipeline = caller.pipeline().eval(body, 0).set('after', 'yes').get('after').exec();
      await untilBusy(lapse.port);
      // Connections keep being accepted and answered while the script runs.
      const answers = await Promise.all(
        Array.from({ length: 20 }, async () => {
          const c = await RawClient.connect(lapse.port);
          try {
            return (await c.call('GET', 'after')).toString('latin1');
          } finally {
            c.close();
          }
        }),
      );
      expect(new Set(answers)).toEqual(new Set(['-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n']));
      const nr = createClient({ socket: { port: lapse.port, host: '127.0.0.1', reconnectStrategy: false } });
      await nr.connect();
      await expect(nr.get('after')).rejects.toThrow(/^BUSY Redis is busy running a script/);
      await nr.disconnect();
      expect(await admin.script('KILL')).toBe('OK');
      const results = await pipeline;
      expect(results![0]![0]).toBeInstanceOf(Error);
      expect((results![0]![0] as Error).message).toBe(
        `ERR Script killed by user with SCRIPT KILL... script: ${ScriptEngine.sha1(body)}, on @user_script:1.`,
      );
      expect(results!.slice(1)).toEqual([[null, 'OK'], [null, 'yes']]);
      await expect(admin.script('KILL')).rejects.toThrow('NOTBUSY No scripts in execution right now.');
    } finally {
      caller.disconnect();
      admin.disconnect();
    }
  });

  test('pcall cannot swallow the kill', async () => {
    const caller = io();
    const admin = io();
    await Promise.all([caller.connect(), admin.connect()]);
    try {
      await admin.config('SET', 'busy-reply-threshold', '50');
      const reply = caller.eval('while true do pcall(function() while true do end end) end', 0);
      await untilBusy(lapse.port);
      expect(await admin.script('KILL')).toBe('OK');
      await expect(reply).rejects.toThrow('ERR Script killed by user with SCRIPT KILL...');
      expect(await admin.ping()).toBe('PONG');
    } finally {
      caller.disconnect();
      admin.disconnect();
    }
  });

  test('a script that wrote is UNKILLABLE; a client blocked on a key it pushes to is served after it, not during it', async () => {
    const caller = io();
    const admin = io();
    const blocked = io();
    await Promise.all([caller.connect(), admin.connect(), blocked.connect()]);
    try {
      await admin.config('SET', 'busy-reply-threshold', '50');
      const popped = blocked.blpop('busy:q', 5);
      await new Promise((r) => setTimeout(r, 20));
      const script =
        "redis.call('rpush', KEYS[1], 'a') local function now() local t = redis.call('time') return t[1] * 1000 + t[2] / 1000 end " +
        "local t0 = now() while now() - t0 < 400 do end redis.call('rpush', KEYS[1], 'b') return redis.call('llen', KEYS[1])";
      const reply = caller.eval(script, 1, 'busy:q');
      await untilBusy(lapse.port);
      await expect(admin.script('KILL')).rejects.toThrow(/^UNKILLABLE Sorry the script already executed write commands/);
      await expect(admin.call('SHUTDOWN')).rejects.toThrow(/^BUSY /);
      // The script saw both its pushes: nobody popped in between.
      expect(await reply).toBe(2);
      expect(await popped).toEqual(['busy:q', 'a']);
      expect(await admin.lrange('busy:q', 0, -1)).toEqual(['b']);
    } finally {
      caller.disconnect();
      admin.disconnect();
      blocked.disconnect();
    }
  });
});

describe('SHUTDOWN NOSAVE', () => {
  test('stops the server under a script that nothing else can stop', async () => {
    const port = await freePort();
    const cli = runCli(['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--busy-reply-threshold', '50']);
    try {
      await cli.waitFor('Ready to accept connections');
      const caller = await RawClient.connect(port);
      caller.send('EVAL', "redis.call('set', 'k', 'v') while true do end", '0');
      await untilBusy(port);
      const admin = await RawClient.connect(port);
      expect((await admin.call('SCRIPT', 'KILL')).toString('latin1')).toMatch(/^-UNKILLABLE /);
      admin.send('SHUTDOWN', 'NOSAVE');
      await admin.waitClosed(10_000);
      await caller.waitClosed(10_000);
      expect(caller.pending().length).toBe(0);
      expect(await cli.exited(15_000)).toBe(0);
    } finally {
      cli.kill();
    }
  }, 30_000);
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
