import { createHash } from "node:crypto";
import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
} from "yaml";
import type * as z from "zod";
import { ALLOWED_PREFIX, type PolicyDocument, policyDocumentSchema } from "./policy-schema.ts";

/**
 * Turns the text of `registry-guard.yaml` into a validated document, or a PolicyError whose
 * every issue points at a line and column of that file. Pure: the caller reads the file.
 */

export interface LoadedPolicy {
  document: PolicyDocument;
  /** First 12 hex characters of the SHA-256 of the file's UTF-8 bytes. */
  version: string;
  fileName: string;
}

export interface PolicyIssue {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** Dotted path to the setting, with [i] for list items (`repositories[0].gate.onFail`); "" for the file. */
  path: string;
  message: string;
}

export type PolicyErrorCode = "POLICY_INVALID" | "POLICY_YAML";

export class PolicyError extends Error {
  readonly code: PolicyErrorCode;
  readonly fileName: string;
  readonly issues: PolicyIssue[];

  constructor(code: PolicyErrorCode, fileName: string, issues: PolicyIssue[]) {
    const what = code === "POLICY_YAML" ? "is not valid YAML" : "does not match the policy schema";
    const count = issues.length === 1 ? "1 problem" : `${issues.length} problems`;
    const lines = issues.map(
      (i) => `${fileName}:${i.line}:${i.column} ${i.path ? `${i.path}: ` : ""}${i.message}`,
    );
    super([`${fileName} ${what} (${count}):`, ...lines].join("\n"));
    this.name = "PolicyError";
    this.code = code;
    this.fileName = fileName;
    this.issues = issues;
  }
}

export function policyVersion(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex").slice(0, 12);
}

export function loadPolicy(text: string, fileName: string): LoadedPolicy {
  const lineCounter = new LineCounter();
  // The core schema keeps YAML 1.2 meanings even under a `%YAML 1.1` directive: 2026-12-31 stays a
  // string (not a Date) and `no` stays a string (not false).
  const doc = parseDocument(text, { lineCounter, schema: "core", prettyErrors: false });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };

  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => ({
      ...at(e.pos[0]),
      path: "",
      message: `${e.message.split("\n")[0]?.replace(/ at line \d+, column \d+:?$/, "")} (${e.code})`,
    }));
    throw new PolicyError("POLICY_YAML", fileName, sortIssues(issues));
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // Alias bombs ("billion laughs") are refused here rather than expanded.
    throw new PolicyError("POLICY_YAML", fileName, [
      { line: 1, column: 1, path: "", message: (error as Error).message },
    ]);
  }
  const parsed = policyDocumentSchema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .flatMap(narrowUnion)
      .flatMap((issue) => locateIssue(issue, doc.contents, at));
    throw new PolicyError("POLICY_INVALID", fileName, sortIssues(issues));
  }
  return { document: parsed.data, version: policyVersion(text), fileName };
}

type PathKey = PropertyKey;

/**
 * A union (`match: glob | glob[]`) reports "none of the options fit". When exactly one option
 * had the right shape (e.g. a list with one bad item), its own issues are far more useful.
 */
function narrowUnion(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== "invalid_union") return [issue];
  const shaped = issue.errors.filter(
    (branch) => !branch.some((sub) => sub.path.length === 0 && sub.code === "invalid_type"),
  );
  const [only] = shaped;
  if (shaped.length !== 1 || !only) return [issue];
  return only.flatMap((sub) =>
    narrowUnion({ ...sub, path: [...issue.path, ...sub.path] } as z.core.$ZodIssue),
  );
}

function locateIssue(
  issue: z.core.$ZodIssue,
  root: unknown,
  at: (offset: number) => { line: number; column: number },
): PolicyIssue[] {
  if (issue.code === "unrecognized_keys") {
    const allowed = issue.message.includes(ALLOWED_PREFIX)
      ? `; ${issue.message.slice(issue.message.indexOf(ALLOWED_PREFIX))}`
      : "";
    return issue.keys.map((key) => {
      const path = [...issue.path, key];
      const found = findNode(root, path);
      // Point at the unknown key itself, not at its value.
      const node = found.exact && found.pair?.key ? found.pair.key : found.node;
      return {
        ...at(offsetOf(node)),
        path: formatPath(path),
        message: `Unknown field ${JSON.stringify(key)}${allowed}`,
      };
    });
  }
  const found = findNode(root, issue.path);
  const message =
    issue.path.length === 0 && issue.code === "invalid_type"
      ? "expected a mapping at the top level that starts with version: 1 (see docs/policy.md)"
      : issue.message;
  return [{ ...at(offsetOf(found.node)), path: formatPath(issue.path), message }];
}

/**
 * Walks the YAML node tree along a zod path. When the path leaves the tree (a missing required
 * field) it stops at the nearest existing parent; an empty value (`gate:`) points at its key.
 */
function findNode(
  root: unknown,
  path: readonly PathKey[],
): { node: unknown; pair?: Pair; exact: boolean } {
  let node: unknown = root;
  let pair: Pair | undefined;
  for (const key of path) {
    let next: unknown;
    let nextPair: Pair | undefined;
    if (isMap(node)) {
      nextPair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(key),
      );
      next = nextPair ? (isEmptyValue(nextPair.value) ? nextPair.key : nextPair.value) : undefined;
    } else if (isSeq(node) && typeof key === "number") {
      next = node.items[key];
    }
    if (next === undefined || next === null)
      return { node, ...(pair ? { pair } : {}), exact: false };
    node = next;
    pair = nextPair;
  }
  return { node, ...(pair ? { pair } : {}), exact: true };
}

function isEmptyValue(value: unknown): boolean {
  return (
    value === null ||
    value === undefined ||
    (isScalar(value) && value.value === null && value.source === "")
  );
}

function offsetOf(node: unknown): number {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : 0;
}

function formatPath(path: readonly PathKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

function sortIssues(issues: PolicyIssue[]): PolicyIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.column - b.column);
}
