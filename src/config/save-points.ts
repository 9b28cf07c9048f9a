/** A save point: save when at least `changes` writes happened in `seconds`. */
export interface SavePoint {
  seconds: number;
  changes: number;
}

/**
 * Parses the `save` parameter ("3600 1 300 100"); null if invalid. As Redis's
 * setConfigSaveOption: the text is split at every single space (so doubled spaces make
 * empty words), one empty word is the empty configuration, and each word is read with
 * strtoll (an empty word reads as 0).
 */
export function parseSavePoints(text: string): SavePoint[] | null {
  let words = text.split(' ');
  if (words.length === 1 && words[0] === '') words = [];
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

/**
 * C's strtoll as Redis checks it for save points: leading white space, an optional sign,
 * digits, and nothing after them; no digits at all reads as 0 (with nothing after).
 */
function strtoll(s: string): number | null {
  if (s === '') return 0;
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)$/.exec(s);
  return m ? Number(m[1]) + 0 : null; // + 0: "-0" is 0
}
