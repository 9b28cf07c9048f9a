import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bundleCli, LUA_WASM } from '../helpers/bundle.js';
import { freePort } from '../helpers/redis-server.js';
import { RawClient } from '../helpers/raw-client.js';
import { heapLimitFor } from '../../src/server/memory.js';

/**
 * bin/lapse, the command npm installs: a POSIX sh launcher that execs node on
 * bin/lapse.js with V8's heap limit set to the machine's (or the cgroup's) memory. The
 * server must be the launched process itself (no parent left behind), started through
 * npm's kind of symlink, with the limit on node's command line; a limit already in
 * NODE_OPTIONS is kept, and then a maxmemory it cannot hold gets one clear warning with
 * the flag to use. Runs the real bin/ files beside a bundle of the CLI as dist/bundle/cli.js
 * (and dist/cli.js).
 */

const ROOT = path.resolve(import.meta.dirname, '../..');
const MB = 1024 * 1024;
let dir = '';
const children: ChildProcess[] = [];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-launcher-'));
  for (const sub of ['bin', 'dist', 'dist/bundle', 'elsewhere']) fs.mkdirSync(path.join(dir, sub));
  for (const file of ['lapse', 'lapse.js']) fs.copyFileSync(path.join(ROOT, 'bin', file), path.join(dir, 'bin', file));
  fs.chmodSync(path.join(dir, 'bin/lapse'), 0o755);
  // bin/lapse.js runs dist/bundle/cli.js; `node dist/cli.js` is tried too (a symlinked release).
  const cli = bundleCli();
  for (const to of ['dist', 'dist/bundle']) {
    fs.copyFileSync(cli, path.join(dir, to, 'cli.js'));
    fs.copyFileSync(LUA_WASM, path.join(dir, to, path.basename(LUA_WASM)));
  }
  // As npm links it: node_modules/.bin/lapse -> ../lapse/bin/lapse.
  fs.symlinkSync('../bin/lapse', path.join(dir, 'elsewhere/lapse'));
});

afterAll(async () => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await exited;
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

/** What the launcher should compute: the smallest of MemTotal and the cgroup's memory limits, in MB. */
function expectedHeapMb(): number {
  let kib = Number(/^MemTotal:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/meminfo', 'latin1'))![1]);
  const cgroup = fs.readFileSync('/proc/self/cgroup', 'latin1');
  const v2 = /^0::(.*)$/m.exec(cgroup)?.[1] ?? '';
  const v1 = /^\d+:(?:[^:]*,)?memory(?:,[^:]*)?:(.*)$/m.exec(cgroup)?.[1] ?? '';
  for (const file of [`/sys/fs/cgroup${v2}/memory.max`, '/sys/fs/cgroup/memory.max',
    `/sys/fs/cgroup/memory${v1}/memory.limit_in_bytes`, '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    let text = '';
    try {
      text = fs.readFileSync(file, 'latin1').trim();
    } catch {
      continue;
    }
    if (/^\d{1,18}$/.test(text)) kib = Math.min(kib, Math.floor(Number(text) / 1024));
  }
  return Math.floor(kib / 1024);
}

/** Runs `command [script] --port <free> ... args` (script: for node), waits for the ready line. */
async function launch(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const port = await freePort();
  const script = command === process.execPath ? [args.shift()!] : [];
  // set-proc-title no: the process title would replace the command line the tests read.
  const child = spawn(command, [...script, '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--set-proc-title', 'no', ...args], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '', ...env },
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const until = Date.now() + 15_000;
  while (!out.includes('Ready to accept connections')) {
    if (Date.now() > until || child.exitCode !== null) throw new Error(`did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 30));
  }
  return { child, port, output: () => out };
}

async function info(port: number, section: string): Promise<string> {
  const c = await RawClient.connect(port);
  const text = (await c.call('INFO', section)).toString('latin1');
  c.close();
  return text;
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  return exited;
}

const cmdline = (pid: number) => fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
const environ = (pid: number) => fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');

describe('bin/lapse', () => {
  test('through a symlink: the server is the launched process, with the machine’s memory as V8’s heap limit; SIGTERM shuts it down', async () => {
    const s = await launch(path.join(dir, 'elsewhere/lapse'), [], { GLIBC_TUNABLES: undefined });
    const pid = Number(/process_id:(\d+)/.exec(await info(s.port, 'server'))![1]);
    expect(pid).toBe(s.child.pid); // exec: no parent process stays behind
    // glibc's mmap threshold fixed at its starting value (no growth after big frees). The
    // launcher also passes glibc.malloc.hugetlb=1, which glibc 2.36 takes and then leaves
    // out of the variable as the process sees it; what it does is checked below.
    expect(environ(pid).some((v) => v.startsWith('GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072'))).toBe(true);
    // Transparent huge pages asked for (MADV_HUGEPAGE: "hg" in a mapping's VmFlags) on the
    // blocks malloc maps, the slab's arena among them, where the kernel's THP mode is
    // madvise; under "always" they come without asking and under "never" not at all, and
    // glibc asks in neither case.
    // (A kernel built without THP has no such file: glibc asks then neither.)
    const thpFile = '/sys/kernel/mm/transparent_hugepage/enabled';
    const thp = fs.existsSync(thpFile) ? /\[(\w+)\]/.exec(fs.readFileSync(thpFile, 'latin1'))?.[1] : 'never';
    const setter = await RawClient.connect(s.port);
    await setter.call('SET', 'k', 'v'.repeat(100));
    setter.close();
    const madvised = /^VmFlags:.*\bhg\b/m.test(fs.readFileSync(`/proc/${pid}/smaps`, 'latin1'));
    expect(madvised).toBe(thp === 'madvise');
    const args = cmdline(pid);
    expect(args[0]).toMatch(/node$/);
    expect(args).toContain(`--max-old-space-size=${expectedHeapMb()}`);
    // V8's background threads: one fewer than the CPUs this process may use (1 at least),
    // node's default from 5 CPUs on.
    const cpus = os.availableParallelism();
    const pool = args.filter((a) => a.startsWith('--v8-pool-size='));
    expect(pool).toEqual(cpus >= 5 ? [] : [`--v8-pool-size=${Math.max(1, cpus - 1)}`]);
    expect(args.some((a) => a.endsWith('bin/lapse.js'))).toBe(true);
    // V8 took it: its heap limit (old generation plus young) is at least that.
    const stats = (await (await RawClient.connect(s.port)).call('MEMORY', 'MALLOC-STATS')).toString('latin1');
    expect(Number(/heap_size_limit: (\d+)/.exec(stats)![1])).toBeGreaterThanOrEqual(expectedHeapMb() * MB);
    expect(s.output()).not.toContain('WARNING: maxmemory');
    expect(await stop(s.child)).toBe(0);
    expect(s.output()).toContain('Received SIGTERM, scheduling shutdown...');
  });

  test('a limit (and a V8 pool size) in NODE_OPTIONS is kept, and GLIBC_TUNABLES as given; a maxmemory it cannot hold is warned about once, with the flag to use', async () => {
    const s = await launch(path.join(dir, 'bin/lapse'), ['--maxmemory', '1gb'], {
      NODE_OPTIONS: '--max-old-space-size=300 --v8-pool-size=2',
      GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0',
    });
    const pid = Number(/process_id:(\d+)/.exec(await info(s.port, 'server'))![1]);
    expect(pid).toBe(s.child.pid);
    expect(environ(pid).filter((v) => v.startsWith('GLIBC_TUNABLES='))).toEqual(['GLIBC_TUNABLES=glibc.malloc.tcache_count=0']);
    expect(cmdline(pid).filter((a) => a.startsWith('--max-old-space-size') || a.startsWith('--v8-pool-size'))).toEqual([]);
    const c = await RawClient.connect(s.port);
    // Set again to the same value: still one warning.
    await c.call('CONFIG', 'SET', 'maxmemory', '1gb');
    c.close();
    const warnings = s.output().split('\n').filter((l) => l.includes('WARNING: maxmemory'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      new RegExp(`WARNING: maxmemory \\(1073741824 bytes\\) needs a V8 heap limit of ${heapLimitFor(1024 * MB) / MB} MB and this process has \\d+ MB: ` +
        `node would run out of heap before eviction keeps the data within maxmemory\\. Start lapse with bin/lapse \\(it sets the limit to the machine's memory\\) ` +
        `or give node --max-old-space-size=${heapLimitFor(1024 * MB) / MB}\\.`),
    );
    expect(heapLimitFor(1024 * MB) / MB).toBe(1536);
    expect(await stop(s.child)).toBe(0);
  });

  test('node <a symlinked directory>/cli.js starts the server (a `current` link to a release)', async () => {
    fs.symlinkSync('../dist', path.join(dir, 'elsewhere/current'));
    const s = await launch(process.execPath, [path.join(dir, 'elsewhere/current/cli.js')]);
    expect(Number(/process_id:(\d+)/.exec(await info(s.port, 'server'))![1])).toBe(s.child.pid);
    expect(await stop(s.child)).toBe(0);
  });

  test('node bin/lapse.js (no launcher) is one process too; a maxmemory within node’s default heap gets no warning', async () => {
    const s = await launch(process.execPath, [path.join(dir, 'bin/lapse.js'), '--maxmemory', '64mb']);
    expect(Number(/process_id:(\d+)/.exec(await info(s.port, 'server'))![1])).toBe(s.child.pid);
    expect(s.output()).not.toContain('WARNING: maxmemory');
    expect(await stop(s.child)).toBe(0);
  });
});
