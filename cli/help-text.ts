/** The "after" help of a command: examples to copy, then what each exit status means. */
export function helpAfter(examples: string[], exitStatus: string): string {
  return [
    "",
    "Examples:",
    ...examples.map((e) => `  $ ${e}`),
    "",
    `Exit status: ${exitStatus}`,
  ].join("\n");
}
