import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { suiteServer } from '../helpers/suite-server.js';
import { RawClient } from '../helpers/raw-client.js';

/**
 * PHP's own Redis session handler (Debian's php-redis, phpredis) with session locking on,
 * as a PHP site runs it: session_start() takes `PHPREDIS_SESSION:<id>_LOCK` with SET NX PX
 * and session_write_close() releases it with EVALSHA of a compare-and-delete script
 * (EVAL when the script is not cached). If the release failed, the next request on the
 * session would wait for the lock's expiry and PHP would refuse its write: the counter
 * below would stop counting.
 */
const lapse = suiteServer();
const run = promisify(execFile);
let dir: string;
let script: string;

/** One "request": open the session, add 1 to its counter (after holding it `holdMs`), close it; prints the counter. */
const REQUEST = `<?php
ini_set('session.save_handler', 'redis');
ini_set('session.save_path', 'tcp://127.0.0.1:' . $argv[1]);
ini_set('session.use_cookies', '0');
ini_set('session.serialize_handler', 'php_serialize');
ini_set('redis.session.locking_enabled', '1');
ini_set('redis.session.lock_expire', '10');
ini_set('redis.session.lock_retries', '-1');
ini_set('redis.session.lock_wait_time', '10000');
session_id($argv[2]);
if (!session_start()) { fwrite(STDERR, "session_start failed\\n"); exit(2); }
$_SESSION['n'] = ($_SESSION['n'] ?? 0) + 1;
usleep((int)$argv[3] * 1000);
$n = $_SESSION['n'];
if (!session_write_close()) { fwrite(STDERR, "session_write_close failed\\n"); exit(3); }
echo $n, "\\n";
`;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-php-'));
  script = path.join(dir, 'request.php');
  fs.writeFileSync(script, REQUEST);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs one request and resolves with what it printed (and stderr, which must be empty). */
async function request(id: string, holdMs = 0): Promise<string> {
  const { stdout, stderr } = await run('php', [script, String(lapse.port), id, String(holdMs)], { timeout: 20_000 });
  expect(stderr).toBe('');
  return stdout.trim();
}

describe('phpredis session handler with locking', () => {
  test('requests one after another: each takes and releases the lock, and every write lands', async () => {
    const c = await RawClient.connect(lapse.port);
    try {
      await c.call('SCRIPT', 'FLUSH'); // the first release falls back from EVALSHA to EVAL
      for (let i = 1; i <= 5; i++) {
        expect(await request('seq-session')).toBe(String(i));
        expect((await c.call('EXISTS', 'PHPREDIS_SESSION:seq-session_LOCK')).toString()).toBe(':0\r\n');
      }
      // The release script reached the script cache (EVAL after NOSCRIPT caches it; SCRIPT FLUSH emptied it).
      expect((await c.call('INFO', 'memory')).toString()).toMatch(/\r\nnumber_of_cached_scripts:1\r\n/);
      expect((await c.call('GET', 'PHPREDIS_SESSION:seq-session')).toString()).toBe('$18\r\na:1:{s:1:"n";i:5;}\r\n');
    } finally {
      c.close();
    }
  });

  test('concurrent requests on one session wait for the lock: none of the 4 writes is lost', async () => {
    // Each holds the session 150 ms; they overlap, so each waits for the one before it.
    const results = await Promise.all([0, 1, 2, 3].map(() => request('busy-session', 150)));
    expect(results.map(Number).sort()).toEqual([1, 2, 3, 4]);
    expect(await request('busy-session')).toBe('5');
  });
});

