import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { datagramSocket } from '../helpers/datagram-socket.js';
import { runCli, type CliProcess } from '../helpers/cli-process.js';
import { freePort } from '../helpers/redis-server.js';
import { splitArgs } from '../../src/util/split-args.js';

/**
 * The README's systemd unit, as far as this machine allows without a running systemd:
 * `systemd-analyze verify` accepts it, and its ExecStart command line, run with a
 * notification socket as systemd runs a Type=notify service, reports READY=1 and stops
 * cleanly on SIGTERM (systemd's stop). Only what needs root or the machine's own paths is
 * changed for the run: the executable (lapse from source), the runtime and state
 * directories (scratch), and the port (a free one).
 */

const ROOT = path.resolve(import.meta.dirname, '../..');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-unit-'));
const running: CliProcess[] = [];
const others: ChildProcess[] = [];
afterAll(() => {
  for (const p of running) p.kill();
  for (const c of others) if (c.exitCode === null) c.kill('SIGKILL');
  fs.rmSync(scratch, { recursive: true, force: true });
});

function readmeUnit(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const m = /<!-- systemd-unit -->\n```ini\n([\s\S]*?)```/.exec(readme);
  if (!m) throw new Error('no systemd unit in README.md');
  return m[1]!;
}

function execStart(unit: string): string[] {
  const line = unit.split('\n').find((l) => l.startsWith('ExecStart='));
  return splitArgs(line!.slice('ExecStart='.length))!;
}

test('systemd-analyze verify accepts the unit', () => {
  const unit = readmeUnit();
  const [executable] = execStart(unit);
  expect(executable).toBe('/usr/local/bin/lapse');
  // The installed command, here the repository's (verify checks that it is executable).
  const file = path.join(scratch, 'lapse.service');
  fs.writeFileSync(file, unit.replace(executable!, path.join(ROOT, 'bin/lapse')));
  const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', timeout: 30_000 });
  expect(r.error).toBeUndefined();
  expect(`${r.stdout}${r.stderr}`).toBe('');
  expect(r.status).toBe(0);
  // It does look: an unknown Type is reported.
  fs.writeFileSync(file, unit.replace('Type=notify', 'Type=notfy').replace(executable!, path.join(ROOT, 'bin/lapse')));
  const bad = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', timeout: 30_000 });
  expect(bad.stderr).toContain('Failed to parse service type');
});

test("its command line, run as systemd runs it, reports READY=1 and stops on SIGTERM", async () => {
  const args = execStart(readmeUnit()).slice(1);
  const runtime = path.join(scratch, 'run');
  const state = path.join(scratch, 'state');
  fs.mkdirSync(runtime);
  fs.mkdirSync(state);
  const port = await freePort();
  const adapted = args.map((a) => a.replace('/run/lapse', runtime).replace('/var/lib/lapse', state));
  const socketPath = path.join(scratch, 'notify');
  const sd = await datagramSocket(socketPath);
  others.push(sd.process);

  const p = runCli([...adapted, '--port', String(port)], { env: { NOTIFY_SOCKET: socketPath }, cwd: state });
  running.push(p);
  await sd.waitFor('READY=1\n');
  expect(p.child.exitCode).toBe(null); // Type=notify: the service's main process stays
  expect(fs.readFileSync(path.join(runtime, 'lapse.pid'), 'latin1')).toBe(`${p.child.pid}\n`);
  expect(p.output()).toContain('Ready to accept connections'); // logfile "": the journal gets stdout
  p.child.kill('SIGTERM');
  expect(await p.exited()).toBe(0);
  await sd.waitFor('STOPPING=1\n');
  expect(fs.existsSync(path.join(runtime, 'lapse.pid'))).toBe(false);
  // Debian's file has save points: the final snapshot is in the state directory.
  expect(fs.existsSync(path.join(state, 'dump.rdb'))).toBe(true);
});
