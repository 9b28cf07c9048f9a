/** One line per step on stderr, with the elapsed time, so a long run shows where it is. */
const start = Date.now();

export function progress(message: string): void {
  const s = ((Date.now() - start) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[${s}s] ${message}\n`);
}
