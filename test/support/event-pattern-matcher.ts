/**
 * EventBridge event-pattern matching for the subset registry-guard's rules use, following the
 * Amazon EventBridge user guide ("Creating event patterns", "Arrays in event patterns", "Content
 * filtering") and the Event Ruler library's documented behaviour:
 *
 * - A pattern field holds a list of alternatives (OR) or a nested pattern; all fields must match
 *   (AND). Fields of the event that the pattern does not name are ignored.
 * - Literals match by exact JSON equality: case-sensitive, "5" is not 5, null matches null.
 * - When the event's value is an array, the field matches if any element matches any
 *   alternative. Arrays of objects are matched element by element, so the fields of one nested
 *   pattern must all match within the same element (array-consistent matching).
 * - `prefix` matches string values only.
 * - `anything-but` (a value, a list of all-strings or all-numbers, or `{prefix}`) matches any
 *   value that is present and not excluded, including null; it never matches a missing field.
 * - `exists` looks at leaf values only: an object or an empty array counts as absent.
 *
 * Any other operator (suffix, numeric, cidr, wildcard, equals-ignore-case, $or) is rejected
 * rather than guessed at.
 */

export class InvalidPatternError extends Error {
  readonly code = "INVALID_EVENT_PATTERN";
  constructor(path: string, message: string) {
    super(`${path || "pattern"}: ${message}`);
    this.name = "InvalidPatternError";
  }
}

type Scalar = string | number | boolean | null;
type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isScalar(v: unknown): v is Scalar {
  return v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean";
}

const SUPPORTED = new Set(["prefix", "anything-but", "exists"]);

function validateOperator(op: Obj, path: string): void {
  const keys = Object.keys(op);
  const [name] = keys;
  if (keys.length !== 1 || name === undefined) {
    throw new InvalidPatternError(path, "an operator object must have exactly one key");
  }
  if (!SUPPORTED.has(name)) {
    throw new InvalidPatternError(path, `operator "${name}" is not supported by this matcher`);
  }
  const arg = op[name];
  if (name === "prefix" && typeof arg !== "string") {
    throw new InvalidPatternError(path, "prefix takes a string");
  }
  if (name === "exists" && typeof arg !== "boolean") {
    throw new InvalidPatternError(path, "exists takes true or false");
  }
  if (name === "anything-but") {
    if (typeof arg === "string" || typeof arg === "number") return;
    if (Array.isArray(arg)) {
      const allStrings = arg.every((x) => typeof x === "string");
      const allNumbers = arg.every((x) => typeof x === "number");
      if (arg.length === 0 || !(allStrings || allNumbers)) {
        throw new InvalidPatternError(
          path,
          "anything-but takes a non-empty list of all strings or all numbers",
        );
      }
      return;
    }
    if (isObject(arg) && Object.keys(arg).length === 1 && typeof arg.prefix === "string") return;
    throw new InvalidPatternError(
      path,
      "anything-but takes a string, a number, a list or {prefix}",
    );
  }
}

function validateNode(node: unknown, path: string): void {
  if (!isObject(node) || Object.keys(node).length === 0) {
    throw new InvalidPatternError(path, "must be a non-empty object");
  }
  for (const [key, value] of Object.entries(node)) {
    const at = path ? `${path}.${key}` : key;
    if (key.startsWith("$"))
      throw new InvalidPatternError(at, `"${key}" is not supported by this matcher`);
    if (Array.isArray(value)) {
      if (value.length === 0) throw new InvalidPatternError(at, "a value list must not be empty");
      value.forEach((alt, i) => {
        if (isObject(alt)) validateOperator(alt, `${at}[${i}]`);
        else if (!isScalar(alt))
          throw new InvalidPatternError(`${at}[${i}]`, "must be a JSON scalar or an operator");
      });
    } else if (isObject(value)) {
      validateNode(value, at);
    } else {
      throw new InvalidPatternError(at, "must be a list of values or a nested pattern");
    }
  }
}

/** Throws InvalidPatternError when the pattern is malformed or uses an unsupported operator. */
export function validatePattern(pattern: unknown): void {
  validateNode(pattern, "");
}

const MISSING = Symbol("missing");

/** The leaf values a field holds: scalars, with arrays flattened; objects are not leaves. */
function leafValues(value: unknown): Scalar[] {
  if (value === MISSING) return [];
  if (Array.isArray(value)) return value.flatMap(leafValues);
  return isScalar(value) ? [value] : [];
}

function startsWith(v: Scalar, prefix: string): boolean {
  return typeof v === "string" && v.startsWith(prefix);
}

function matchesAlternative(alt: unknown, values: Scalar[]): boolean {
  if (!isObject(alt)) return values.some((v) => v === alt);
  if ("exists" in alt) return alt.exists === values.length > 0;
  if ("prefix" in alt) return values.some((v) => startsWith(v, alt.prefix as string));
  const excluded = alt["anything-but"];
  if (isObject(excluded)) return values.some((v) => !startsWith(v, excluded.prefix as string));
  const list: unknown[] = Array.isArray(excluded) ? excluded : [excluded];
  return values.some((v) => !list.includes(v));
}

function matchesNested(pattern: Obj, value: unknown): boolean {
  if (Array.isArray(value)) {
    const elements = value.flat(Number.POSITIVE_INFINITY).filter(isObject);
    if (elements.length > 0) return elements.some((el) => matchesObject(pattern, el));
  }
  return matchesObject(pattern, isObject(value) ? value : {});
}

function matchesObject(pattern: Obj, event: Obj): boolean {
  return Object.entries(pattern).every(([key, sub]) => {
    const value = Object.hasOwn(event, key) ? event[key] : MISSING;
    if (Array.isArray(sub)) {
      const values = leafValues(value);
      return sub.some((alt) => matchesAlternative(alt, values));
    }
    return matchesNested(sub as Obj, value === MISSING ? undefined : value);
  });
}

/** True when EventBridge would deliver `event` to a rule with `pattern`. */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  validatePattern(pattern);
  return matchesObject(pattern as Obj, isObject(event) ? event : {});
}
