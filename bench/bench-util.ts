/** Small statistics and printing helpers for the benchmarks: figures are printed, never asserted. */

/** Nearest-rank percentile (p in 0..100); NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] as number;
}

export const median = (values: readonly number[]) => percentile(values, 50);

export const minimum = (values: readonly number[]) =>
  values.length === 0 ? Number.NaN : Math.min(...values);

export function fmt(n: number, digits = 2): string {
  return n.toFixed(digits);
}

/** With an explicit sign: "+3.2", "-0.4". */
export function signed(n: number, digits = 1): string {
  return `${n >= 0 ? "+" : ""}${n.toFixed(digits)}`;
}

export function heading(title: string): void {
  process.stdout.write(`\n== ${title}\n`);
}

export function row(label: string, value: string): void {
  process.stdout.write(`  ${label.padEnd(44)} ${value}\n`);
}

export function note(text: string): void {
  process.stdout.write(`  ${text}\n`);
}

/** One line of the closing summary table. */
export interface Figure {
  bench: string;
  metric: string;
  value: string;
  /** The goal in words ("< 5 ms"), when the issue set one. */
  goal?: string;
  /** Whether the goal is met; absent when there is no goal. */
  met?: boolean;
}

/** A benchmark: a short name for `npm run bench -- <name>`, and a body that prints and returns figures. */
export interface Bench {
  name: string;
  description: string;
  run(): Promise<Figure[]>;
}

/** A fixed-width text table; by default the first column is left-aligned, the rest right-aligned. */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  leftAligned = 1,
): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) =>
        c < leftAligned ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0),
      )
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)]
    .map((l) => `  ${l}\n`)
    .join("");
}
