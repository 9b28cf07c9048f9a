import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { pairSuite } from './harness.js';
import { createServer } from '../../src/index.js';
import { Config, ConfigFileError, loadConfigText } from '../../src/config/config.js';

/**
 * Config files against redis-server 7.0.15: the errors of bad lines (the line, its
 * number, Redis's reason), the directives that are not parameters (include,
 * rename-command), and what lapse refuses on purpose (loadmodule, sentinel, module
 * parameters).
 */

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-conffile-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** What redis-server prints when it refuses the file: the lines from "Reading" on (or its last line). */
function redisRefusal(text: string): string {
  const file = path.join(scratch, 'redis.conf');
  fs.writeFileSync(file, text);
  const r = spawnSync('redis-server', [file], { cwd: scratch, timeout: 10_000, encoding: 'latin1' });
  expect(r.status, `redis-server accepted:\n${text}`).toBe(1);
  return reasonOf(`${r.stdout}${r.stderr}`);
}

/** What lapse refuses the same text with (createServer reads it as the CLI does). */
function lapseRefusal(text: string): string {
  try {
    createServer({ configText: text, dir: scratch });
  } catch (e) {
    if (e instanceof ConfigFileError) return reasonOf(e.message);
    throw e;
  }
  throw new Error(`lapse accepted:\n${text}`);
}

function reasonOf(output: string): string {
  const at = output.indexOf('Reading the configuration file');
  if (at >= 0) return output.slice(at).trim();
  const lines = output.trim().split('\n');
  return lines[lines.length - 1]!.replace(/^\d+:[A-Z] \d+ \w+ \d+ [\d:.]+ [*#.-] /, '');
}

describe('a bad line is refused with Redis\'s report', () => {
  const cases = [
    'port',
    'port 1 2',
    'nosuch 1',
    'hz x',
    'appendfsync sometimes',
    'include',
    'rename-command nosuchcommand foo',
    'rename-command get set',
    'rename-command get',
    'shutdown-on-sigterm save nosave',
    'oom-score-adj-values 1 2',
    'replicaof onlyhost',
    'replicaof host 99999',
    'slaveof host 12x',
    'unixsocketperm 800',
    'unixsocketperm 1000',
    'proc-title-template "{x}"',
    'save 10',
    'list-max-ziplist-entries 5\nlua-replicate-commands yes\nport x',
    'list-max-ziplist-entries 5 6',
    'maxmemory-clients 101%',
    'latency-tracking-info-percentiles 200',
    'supervised maybe',
    'syslog-facility local9',
    'activedefrag maybe',
    'daemonize',
    'port 6379\n  # a comment\n\n"port" "x"',
    'bind "unbalanced',
    'logfile /nonexistent-dir/redis.log',
  ];
  for (const text of cases) {
    test(JSON.stringify(text), () => {
      expect(lapseRefusal(text)).toBe(redisRefusal(text));                 // exact: reason, line, number
    });
  }

  test('an include that cannot be opened', () => {
    const text = `include ${scratch}/nonexistent.conf`;
    expect(lapseRefusal(text)).toBe(redisRefusal(text));                   // exact: Redis's "Fatal error" line
  });
});

describe('include', () => {
  test('nested, relative to the working directory (dir), globbed, in order; later lines win', () => {
    const conf = path.join(scratch, 'inc');
    fs.mkdirSync(path.join(conf, 'conf.d'), { recursive: true });
    fs.writeFileSync(path.join(conf, 'conf.d', '10-a.conf'), 'hz 20\ninclude inner.conf\n');
    fs.writeFileSync(path.join(conf, 'conf.d', '20-b.conf'), 'timeout 7\n');
    fs.writeFileSync(path.join(conf, 'conf.d', '.hidden.conf'), 'timeout 99\n');
    fs.writeFileSync(path.join(conf, 'inner.conf'), 'databases 4\nhz 30\n');
    const config = new Config();
    loadConfigText(config, `dir ${conf}\ninclude conf.d/*.conf\ninclude ${conf}/conf.d/nomatch-*.conf\ntimeout 8\n`, 'test');
    expect(config.number('hz')).toBe(30);
    expect(config.number('databases')).toBe(4);
    expect(config.number('timeout')).toBe(8);
  });

  test('a file that includes itself is refused, not followed for ever', () => {
    const file = path.join(scratch, 'self.conf');
    fs.writeFileSync(file, `include ${file}\n`);
    expect(() => loadConfigText(new Config(), `include ${file}`, 'test')).toThrow(/include nested more than 16 deep/);
  });
});

describe('directives lapse refuses on purpose', () => {
  for (const [line, reason] of [
    ['loadmodule /usr/lib/redis/modules/x.so', 'lapse does not load Redis modules (loadmodule)'],
    ['mymodule.param 5', 'lapse does not load Redis modules, so module parameters are not accepted'],
    ['sentinel monitor mymaster 127.0.0.1 6379 2', 'lapse does not implement Redis Sentinel: sentinel directives are not accepted'],
    ['sentinel', 'lapse does not implement Redis Sentinel: sentinel directives are not accepted'],
  ]) {
    test(line!, () => {
      expect(lapseRefusal(line!)).toBe(`Reading the configuration file, at line 1\n>>> '${line}'\n${reason}`);
    });
  }
});

describe('rename-command', () => {
  const p = pairSuite({
    lapse: { configText: 'rename-command get fetch\nrename-command FLUSHALL ""\nrename-command config "my config"' },
    redis: ['--rename-command', 'get', 'fetch', '--rename-command', 'FLUSHALL', '', '--rename-command', 'config', 'my config'],
    reset: false,
  });

  test('a renamed command answers to its new name only; "" removes it', async () => {
    await p.exact('SET', 'k', 'v');                                       // exact
    await p.exact('GET', 'k');                                            // exact: unknown command
    await p.exact('FETCH', 'k');                                          // exact: v
    await p.exact('fetch', 'k');                                          // exact: case-insensitive
    await p.exact('FLUSHALL');                                            // exact: unknown command
    await p.exact('my config', 'GET', 'timeout');                         // exact
    await p.exact('CONFIG', 'GET', 'timeout');                            // exact: unknown command
    await p.exact('COMMAND', 'INFO', 'fetch');                            // exact: listed under its own name
    await p.exact('DEL', 'k');                                            // exact
  });
});

describe('enable-protected-configs', () => {
  const p = pairSuite({ lapse: { 'enable-protected-configs': 'local' }, redis: ['--enable-protected-configs', 'local'], reset: false });

  test('local: CONFIG SET of a protected parameter from loopback is allowed', async () => {
    await p.exact('CONFIG', 'GET', 'enable-protected-configs');          // exact: local
    await p.exact('CONFIG', 'SET', 'dbfilename', 'other.rdb');           // exact: OK
    await p.exact('CONFIG', 'GET', 'dbfilename');                         // exact
    await p.exact('CONFIG', 'SET', 'dir', p.redis.dir);                   // exact: OK
    await p.exact('CONFIG', 'SET', 'dbfilename', 'dump.rdb');            // exact
  });
});

describe('parameters of features lapse does not have yet, at start-up', () => {
  test('the off value starts the server', async () => {
    const server = createServer({
      port: 0,
      bind: '127.0.0.1',
      configText: 'appendonly no\ncluster-enabled no\nslowlog-log-slower-than -1\nlatency-tracking no\nslaveof no one\nlist-max-ziplist-size -2',
      dir: scratch,
    });
    expect(server.config.string('replicaof')).toBe('');
    expect((await server.listen()).port).toBeGreaterThan(0);
    await server.close();
  });

  for (const [line, feature] of [
    ['appendonly yes', 'the append-only file (AOF)'],
    ['cluster-enabled yes', 'Redis Cluster'],
    ['repl-disable-tcp-nodelay yes', 'replication'],
    ['stream-node-max-entries 5', 'streams'],
    ['unixsocket /tmp/lapse.sock', 'unix sockets'],
  ]) {
    test(`${line}: refused, naming the feature`, () => {
      expect(lapseRefusal(line!)).toMatch(
        new RegExp(`^Reading the configuration file, at line 1\\n>>> '${line}'\\nlapse does not implement ${feature!.replace(/[()]/g, '\\$&')} yet, so only '[^']*' is accepted$`),
      );
    });
  }
});
