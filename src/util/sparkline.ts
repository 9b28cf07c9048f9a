/**
 * ASCII sparklines as Redis's sparkline.c draws them for LATENCY GRAPH: `rows` rows of
 * characters per sample (filled: "_o#", with "|" below the top), then, after one empty
 * row, each sample's label written downwards, one character per row; at most `columns`
 * samples per block, blocks separated by an empty line.
 */

const CHARS = '_o#';
const LABEL_MARGIN_TOP = 1;

export interface SparkSample {
  readonly value: number;
  /** '' for none. */
  readonly label: string;
}

export function renderSparkline(samples: readonly SparkSample[], columns: number, rows: number): string {
  // The whole sequence's range scales every block (as the C's seq->min and seq->max).
  let min = 0;
  let max = 0;
  samples.forEach((s, i) => {
    if (i === 0) min = max = s.value;
    else if (s.value < min) min = s.value;
    else if (s.value > max) max = s.value;
  });
  const scale = { min, relmax: max - min === 0 ? 1 : max - min, labels: samples.some((s) => s.label !== '') };
  let out = '';
  for (let j = 0; j < samples.length; j += columns) {
    if (j !== 0) out += '\n';
    out += renderRange(samples, rows, j, Math.min(columns, samples.length - j), scale);
  }
  return out;
}

function renderRange(
  samples: readonly SparkSample[],
  rows: number,
  offset: number,
  len: number,
  { min, relmax, labels }: { min: number; relmax: number; labels: boolean },
): string {
  const steps = CHARS.length * rows;
  let out = '';
  for (let row = 0; ; row++) {
    let more = false;
    const chars: string[] = new Array<string>(len).fill(' ');
    for (let j = 0; j < len; j++) {
      const s = samples[j + offset]!;
      // As the C: (int)(relval * steps) / relmax, then truncated again into an int.
      let step = Math.trunc(Math.trunc((s.value - min) * steps) / relmax);
      if (step < 0) step = 0;
      if (step >= steps) step = steps - 1;
      if (row < rows) {
        const index = step - (rows - row - 1) * CHARS.length;
        more = true;
        if (index >= 0 && index < CHARS.length) chars[j] = CHARS[index]!;
        else if (index >= CHARS.length) chars[j] = '|';
      } else {
        if (labels && row - rows < LABEL_MARGIN_TOP) {
          more = true;
          break;
        }
        const at = row - rows - LABEL_MARGIN_TOP;
        if (s.label.length > at) {
          more = true;
          chars[j] = s.label[at]!;
        }
      }
    }
    if (!more) break;
    out += chars.join('') + '\n';
  }
  return out;
}
