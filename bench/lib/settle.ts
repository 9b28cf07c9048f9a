/**
 * A figure read once it stopped moving: read every `everyMs` until two reads in a row are
 * `close`, at most `rounds` times; returns the last read. What the memory scenarios do
 * before they record RSS or used_memory (a load's garbage collected, lapse's Reclaimer
 * run once the server is quiet).
 */
export async function settled(
  read: () => number | Promise<number>,
  options: { everyMs: number; rounds: number; close: (last: number, now: number) => boolean },
): Promise<number> {
  let last = await read();
  for (let i = 0; i < options.rounds; i++) {
    await new Promise((r) => setTimeout(r, options.everyMs));
    const now = await read();
    if (options.close(last, now)) return now;
    last = now;
  }
  return last;
}

/** RSS settled: within 256 KB over 250 ms, at most 5 s. */
export const RSS_SETTLED = { everyMs: 250, rounds: 20, close: (a: number, b: number) => Math.abs(b - a) < 256 * 1024 };
