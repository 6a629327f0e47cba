/**
 * One spelling of a JSON value, so a hash computed today matches the hash recomputed after the
 * record has travelled through DynamoDB (which keeps neither key order nor undefined fields).
 * Objects have their keys sorted by UTF-16 code units; undefined, functions and symbols are
 * left out of objects and become null in arrays; values with toJSON (Date) use it. These are
 * JSON.stringify's rules, plus the sort.
 */

export class CanonicalJsonError extends Error {
  readonly code = "CANONICAL_JSON_INVALID";

  constructor(reason: string) {
    super(`Value cannot be written as canonical JSON: ${reason}`);
    this.name = "CanonicalJsonError";
  }
}

export function canonicalJson(value: unknown): string {
  const out = write(value, "$");
  if (out === undefined) throw new CanonicalJsonError(`the value itself is ${typeof value}`);
  return out;
}

function write(input: unknown, path: string): string | undefined {
  const value =
    input !== null &&
    typeof input === "object" &&
    typeof (input as { toJSON?: unknown }).toJSON === "function"
      ? (input as { toJSON: () => unknown }).toJSON()
      : input;
  switch (typeof value) {
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      // NaN and Infinity would silently become null: refuse rather than hash a lie.
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`${path} is ${value}`);
      return JSON.stringify(value);
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
    case "bigint":
      throw new CanonicalJsonError(`${path} is a bigint; write it as a string`);
    default:
      break;
  }
  if (value === null) return "null";
  if (Array.isArray(value)) {
    return `[${value.map((v, i) => write(v, `${path}[${i}]`) ?? "null").join(",")}]`;
  }
  const obj = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(obj).sort()) {
    const v = write(obj[key], `${path}.${key}`);
    if (v !== undefined) parts.push(`${JSON.stringify(key)}:${v}`);
  }
  return `{${parts.join(",")}}`;
}
