import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type MessagePort } from 'node:worker_threads';

/**
 * A worker thread running one of this folder's modules (`name` without extension): the
 * compiled .js next to the calling module, or, running from the TypeScript sources
 * (tests, `npm run dev`), the .ts through tsx's loader. Throws when the file is not
 * there (lapse bundled into one file): callers then do the work on their own thread.
 */
export function spawnWorkerModule(name: string, workerData: unknown, transferList: (ArrayBuffer | MessagePort)[] = []): Worker {
  const here = import.meta.url;
  const typescript = here.endsWith('.ts');
  const file = new URL(`./${name}${typescript ? '.ts' : '.js'}`, here);
  if (!fs.existsSync(fileURLToPath(file))) throw new Error(`no worker module at ${file.href}`);
  if (typescript) {
    // tsx resolved here: an eval'd worker would resolve the bare name from the process's
    // working directory, which need not be this checkout's (the CLI started elsewhere).
    const tsx = import.meta.resolve('tsx/esm/api');
    const boot = `import(${JSON.stringify(tsx)}).then((api) => api.tsImport(${JSON.stringify(file.href)}, ${JSON.stringify(here)}))`;
    return new Worker(boot, { eval: true, workerData, transferList });
  }
  return new Worker(file, { workerData, transferList });
}
