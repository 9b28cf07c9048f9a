/** A save point: save when at least `changes` writes happened in `seconds`. */
export interface SavePoint {
  seconds: number;
  changes: number;
}

/** Parses the `save` parameter ("3600 1 300 100"); null if invalid. */
export function parseSavePoints(text: string): SavePoint[] | null {
  const words = text.split(' ').filter((w) => w.length > 0);
  if (words.length % 2 !== 0) return null;
  const points: SavePoint[] = [];
  for (let i = 0; i < words.length; i += 2) {
    const seconds = strtoll(words[i]!);
    const changes = strtoll(words[i + 1]!);
    if (seconds === null || changes === null || seconds < 1 || changes < 0) return null;
    points.push({ seconds, changes });
  }
  return points;
}

/** C's strtoll as Redis uses it for save points: optional sign, digits, nothing after. */
function strtoll(s: string): number | null {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)$/.exec(s);
  return m ? Number(m[1]) : null;
}
