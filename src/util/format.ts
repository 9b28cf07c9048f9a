/**
 * Number formatting as Redis's C code prints numbers in INFO and similar text replies.
 */

/**
 * printf("%.<digits>f", v). Number#toFixed rounds an exact tie away from zero, C rounds
 * it to even (1.125 -> "1.12"); everything else is the same, since both round the
 * exact binary value.
 */
export function cFixed(v: number, digits: number): string {
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : v < 0 ? '-inf' : 'nan';
  const exact = Math.abs(v).toFixed(100);
  const dot = exact.indexOf('.');
  const tail = exact.slice(dot + 1 + digits);
  if (tail[0] !== '5' || !/^50*$/.test(tail)) return v.toFixed(digits);
  // An exact tie: keep the digits if the last kept one is even, else round up.
  const kept = exact.slice(0, dot + 1 + digits).replace(/\.$/, '');
  const last = kept.charCodeAt(kept.length - 1) - 0x30;
  const magnitude = last % 2 === 0 ? kept : Math.abs(v).toFixed(digits);
  return v < 0 || Object.is(v, -0) ? `-${magnitude}` : magnitude;
}

/** Redis's bytesToHuman: 1023B, 1.00K, 1.50M, ... (binary units). */
export function bytesToHuman(n: number): string {
  const units = ['K', 'M', 'G', 'T', 'P'];
  if (n < 1024) return `${n}B`;
  let scale = 1024;
  for (const unit of units) {
    if (n < scale * 1024) return `${cFixed(n / scale, 2)}${unit}`;
    scale *= 1024;
  }
  return `${n}B`;
}
