// Small statistics for benchmark runs: every figure is reported as min / median / max of paired runs.

export interface Spread {
  min: number;
  median: number;
  max: number;
  n: number;
}

export function spread(values: number[]): Spread {
  if (values.length === 0) return { min: NaN, median: NaN, max: NaN, n: 0 };
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { min: s[0]!, median, max: s[s.length - 1]!, n: s.length };
}

/** "6.5 s (5.9–7.1)": median, then min–max, in seconds. */
export function seconds(s: Spread): string {
  const f = (ms: number) => (ms / 1000).toFixed(1);
  return s.n === 1 ? `${f(s.median)} s` : `${f(s.median)} s (${f(s.min)}–${f(s.max)})`;
}

/** "640 ms (510–820)": median, then min–max, in milliseconds (for figures well under a second). */
export function millis(s: Spread): string {
  const f = (ms: number) => Math.round(ms).toString();
  return s.n === 1 ? `${f(s.median)} ms` : `${f(s.median)} ms (${f(s.min)}–${f(s.max)})`;
}

/** "1.32× (1.20–1.41)": median, then min–max. */
export function ratio(s: Spread): string {
  const f = (r: number) => r.toFixed(2);
  return s.n === 1 ? `${f(s.median)}×` : `${f(s.median)}× (${f(s.min)}–${f(s.max)})`;
}

/** Per-pair ratios a[i] / b[i] of runs made side by side. */
export function pairRatios(a: number[], b: number[]): number[] {
  return a.map((x, i) => x / b[i]!);
}
