/**
 * The `p`-th percentile (nearest rank) of latencies sorted ascending, to 0.1 ms; NaN when there are none.
 * Every benchmark reports its percentiles this way, so their tables compare.
 */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[idx]! * 10) / 10;
}
