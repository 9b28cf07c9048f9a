import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSync } from 'esbuild';

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * The lapse CLI as one plain JavaScript file (esbuild, ~0.2 s), for tests that measure
 * a server process's memory: run from source through tsx, the process also holds the
 * TypeScript loader (~30 MB more RSS), which a real installation does not.
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
  });
  return outfile;
}
