import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { freePort } from './redis-server.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** The Lua engine's WebAssembly file, which a bundle needs beside it (see bundleCli). */
export const LUA_WASM = path.join(ROOT, 'node_modules/wasmoon-lua5.1/dist/liblua5.1.wasm');

/**
 * The lapse CLI as one plain JavaScript file (esbuild, ~0.2 s), for tests that measure
 * a server process's memory: run from source through tsx, the process also holds the
 * TypeScript loader (~30 MB more RSS), which a real installation does not.
 * The Lua engine's package (wasmoon-lua5.1, a UMD file) finds its .wasm beside itself
 * with require('url') and __filename: the bundle defines both (an ESM file has neither),
 * and the .wasm is copied beside the bundle (whoever copies the bundle copies it too).
 */
export function bundleCli(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-bundle-'));
  const outfile = path.join(dir, 'lapse.mjs');
  buildSync({
    entryPoints: [path.join(ROOT, 'src/cli.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'error',
    banner: {
      js: [
        "import { createRequire as __lapseCreateRequire } from 'node:module';",
        "import { fileURLToPath as __lapseFileURLToPath } from 'node:url';",
        'const require = __lapseCreateRequire(import.meta.url);',
        'const __filename = __lapseFileURLToPath(import.meta.url);',
      ].join('\n'),
    },
  });
  fs.copyFileSync(LUA_WASM, path.join(dir, path.basename(LUA_WASM)));
  return outfile;
}

export interface BundledServer {
  child: ChildProcess;
  port: number;
  /** Everything the server wrote to stdout and stderr so far. */
  output(): string;
  /** The server process's resident set, bytes, from /proc. */
  rss(): number;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

/**
 * Starts a bundled CLI (bundleCli) as `node <bundle> --port <free> --bind 127.0.0.1
 * --save '' <args>` in a fresh directory, with `nodeArgs` before the bundle, and waits
 * for its ready line.
 */
export async function startBundled(cli: string, args: string[] = [], nodeArgs: string[] = []): Promise<BundledServer> {
  const port = await freePort();
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-bundled-'));
  const child = spawn(process.execPath, [...nodeArgs, cli, '--port', String(port), '--bind', '127.0.0.1', '--save', '', ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const until = Date.now() + 15_000;
  while (!out.includes('Ready to accept connections')) {
    if (Date.now() > until || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`lapse did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 30));
  }
  return {
    child,
    port,
    output: () => out,
    rss: () => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'latin1'))![1]) * 1024,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(cwd, { recursive: true, force: true });
    },
  };
}
