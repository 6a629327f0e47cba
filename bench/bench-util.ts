/** Small statistics helpers for the benchmarks: figures are printed, never asserted. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] as number;
}

export const median = (values: number[]) => percentile(values, 50);

export function fmt(n: number, digits = 2): string {
  return n.toFixed(digits);
}

export function heading(title: string): void {
  process.stdout.write(`\n== ${title}\n`);
}

export function row(label: string, value: string): void {
  process.stdout.write(`  ${label.padEnd(44)} ${value}\n`);
}
