/** mulberry32: a small seeded generator in [0, 1), so every run draws the same numbers. */
export function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A chunk size from 1 byte to 64 KiB, log-uniform: small cuts are as likely as large ones. */
export function randomChunkSize(next: () => number): number {
  return Math.max(1, Math.floor(2 ** (next() * 16)));
}
