/** Bad input to the CLI: printed as one clear line, exit code 2, nothing changed. */
export class CliUsageError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "CliUsageError";
    this.code = code;
  }
}

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, failed: 1, badInput: 2 } as const;
