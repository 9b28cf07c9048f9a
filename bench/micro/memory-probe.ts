import fs from 'node:fs';
import { spawn } from 'node:child_process';

/**
 * What the memory micro benchmarks (hash-, list-, set-, zset-memory.ts) share: loading a
 * prepared RESP file into a server with `redis-cli --pipe`, and this process's V8 heap
 * after full collections (they run with node --expose-gc).
 */

/** Sends the RESP commands in `file` to the server on `port` through `redis-cli --pipe`; fails on any error reply. */
export function pipe(port: number, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-cli', ['-p', String(port), '--pipe'], { stdio: [fs.openSync(file, 'r'), 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 && /errors: 0,/.test(out) ? resolve() : reject(new Error(`redis-cli --pipe: ${out}`))));
  });
}

/** heapUsed after three full GCs (needs node --expose-gc). */
export function heap(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}
