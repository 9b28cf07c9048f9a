import { run, type BenchServer } from '../lib/servers.js';
import { ProbeClient } from '../lib/resp-client.js';
import { RSS_SETTLED, settled } from '../lib/settle.js';

export interface MemoryResult {
  rssBytes: number;
  /** Of rssBytes, the pages of mapped files (the server's program and libraries). */
  rssFileBytes: number;
  baselineRss: number;
  keys: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Loads the payload with `redis-cli --pipe` into a fresh server and reads its RSS once
 * it has settled (RSS is what the operator pays for, allocator and GC overheads included).
 */
export async function loadAndMeasure(server: BenchServer, payload: Buffer, expectedKeys: number): Promise<MemoryResult> {
  await sleep(500);
  const baselineRss = server.rss();
  const r = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(server.port), '--pipe'], { input: payload });
  if (!/errors: 0/.test(r.out)) throw new Error(`--pipe into ${server.name} failed: ${r.out} ${r.err}`);
  const probe = await ProbeClient.connect(server.port);
  const keys = await probe.integer('DBSIZE');
  probe.close();
  if (keys !== expectedKeys) throw new Error(`${server.name} holds ${keys} keys, expected ${expectedKeys}`);
  // Let the garbage of loading be collected and RSS settle.
  const rssBytes = await settled(() => server.rss(), RSS_SETTLED);
  return { rssBytes, rssFileBytes: server.rssFile(), baselineRss, keys };
}
