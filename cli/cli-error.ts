/** Bad input to the CLI: printed as one clear line, exit code 2, nothing changed. */
export class CliUsageError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "CliUsageError";
    this.code = code;
  }
}

/** Exit codes shared by every command (docs/cli.md#exit-codes). */
export const EXIT = {
  ok: 0,
  /** The check ran and said no: gate fail or pending, invalid policy, a tampered audit chain. */
  failed: 1,
  /** Bad input: nothing was changed. */
  badInput: 2,
  /** The command could not complete: AWS unreachable, access denied, registry error … */
  error: 3,
} as const;

/**
 * Errors from shared/ that mean "your input is wrong". Matched by name, not by class, so this
 * file (loaded on every start, even for --help) imports none of the modules that define them.
 */
const BAD_INPUT_ERRORS = new Set([
  "CliUsageError",
  "PolicyError",
  "FindingsFormatError",
  "EventParseError",
  "ReleaseError",
  "AuditQueryError",
  "AuditStoreConfigError",
  "InventoryFileError",
  "RetentionPlanError",
  // signature verification (verify): unusable keys, references, layouts, trust files
  "SignatureInputError",
  "PublicKeyError",
  "KeylessPolicyError",
  "OciLayoutReferenceError",
  "OciLayoutError",
  "TrustFileError",
]);

export function isBadInput(err: unknown): boolean {
  return err instanceof Error && BAD_INPUT_ERRORS.has(err.name);
}
