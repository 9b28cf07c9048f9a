// npm run build's second step: the compiled CLI, and the modules its worker threads run,
// as one file each in dist/bundle/ (esbuild). bin/lapse.js runs the CLI's bundle.
//
// Why: node 20 loads ~180 ES modules one by one (resolve, stat, open, read, compile,
// link), ~120 ms of a server's start before it does anything; the same code as one file
// imports in ~50 ms (node 20 has no compile cache to keep instead). The workers are
// bundled beside the CLI because spawnWorkerModule() looks for them beside the module
// that spawns them. Packages stay imports (resolved from node_modules as before), so the
// Lua engine finds its .wasm as it always does. dist/ itself is unchanged: embedding
// (`import ... from 'lapse'`) and `node dist/cli.js` load the modules as before.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
buildSync({
  entryPoints: ['cli.js', 'persistence/snapshot-worker.js', 'persistence/checksum-worker.js'].map((f) => path.join(root, 'dist', f)),
  outdir: path.join(root, 'dist/bundle'),
  entryNames: '[name]',
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
});
