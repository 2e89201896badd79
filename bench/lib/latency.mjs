// What the latency benches share: percentiles of samples, a p50/p99 row per measured case, and
// printing those rows as a table and writing them to the results file run.sh collects.
import fs from 'node:fs';

/** The p-th percentile (0..1) of xs, nearest rank. */
export const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

/** A row of ms samples: {name, p50_ms, p99_ms, n}. */
export const latencyRow = (name, samples) => ({ name, p50_ms: pct(samples, 0.5), p99_ms: pct(samples, 0.99), n: samples.length });

/** Prints latency rows (names padded to width) and writes them as JSON to outFile when given. */
export function reportLatencyRows(rows, width, outFile) {
  for (const r of rows) console.log(`${r.name.padEnd(width)} p50 ${r.p50_ms.toFixed(2).padStart(7)} ms   p99 ${r.p99_ms.toFixed(2).padStart(7)} ms   (n=${r.n})`);
  if (outFile) fs.writeFileSync(outFile, JSON.stringify(rows, null, 2));
}
