import type * as z from "zod";

export type FindingsFormat = "ecr" | "trivy" | "grype" | "harbor";

/** What each format is, in words a user can act on. */
export const FORMAT_NAMES: Record<FindingsFormat, string> = {
  ecr: "an ECR findings document (aws ecr describe-image-scan-findings --output json)",
  trivy: "a Trivy JSON report (trivy image --format json)",
  grype: "a Grype JSON document (grype <image> -o json)",
  harbor: "a Harbor vulnerability report (GET …/artifacts/{digest}/additions/vulnerabilities)",
};

/** A findings document that is not what it claims to be, or not any format we read. */
export class FindingsFormatError extends Error {
  readonly code = "FINDINGS_FORMAT";
  /** The format that was asked for or detected; undefined when none could be detected. */
  readonly expected: FindingsFormat | undefined;
  /** A short description of what was found instead. */
  readonly found: string;

  constructor(message: string, expected: FindingsFormat | undefined, found: string) {
    super(message);
    this.name = "FindingsFormatError";
    this.expected = expected;
    this.found = found;
  }
}

/** "an object with keys a, b, c", "an array of 3 items", "a string": for error messages. */
export function describeJson(json: unknown): string {
  if (json === null) return "null";
  if (Array.isArray(json)) return `an array of ${json.length} item(s)`;
  if (typeof json === "object") {
    const keys = Object.keys(json);
    if (keys.length === 0) return "an empty object";
    const shown = keys.slice(0, 8).join(", ");
    return `an object with keys ${shown}${keys.length > 8 ? ", …" : ""}`;
  }
  return `a ${typeof json}`;
}

const MAX_ISSUES = 3;

/** Validates `json` against a format's schema; a mismatch names the format and the first paths. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  json: unknown,
  format: FindingsFormat,
): z.output<S> {
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, MAX_ISSUES).map((i) => {
    const at = formatPath(i.path);
    return at ? `${at}: ${i.message}` : i.message;
  });
  const more =
    result.error.issues.length > MAX_ISSUES
      ? ` (and ${result.error.issues.length - MAX_ISSUES} more)`
      : "";
  throw new FindingsFormatError(
    `Expected ${FORMAT_NAMES[format]}, but the document does not match: ${issues.join("; ")}${more}`,
    format,
    describeJson(json),
  );
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}
