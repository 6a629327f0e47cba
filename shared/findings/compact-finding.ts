import type { Finding } from "../domain/finding.ts";

type Loose<T> = { [K in keyof T]: T[K] | undefined };

/**
 * A Finding without undefined or empty optional fields, so findings from every scanner compare,
 * hash and serialize the same way.
 */
export function compactFinding(f: Loose<Finding> & Pick<Finding, "id" | "severity">): Finding {
  const out: Finding = { id: f.id, severity: f.severity };
  if (f.score !== undefined) out.score = f.score;
  if (f.package) out.package = f.package;
  if (f.installedVersion) out.installedVersion = f.installedVersion;
  if (f.fixedVersion) out.fixedVersion = f.fixedVersion;
  if (f.title) out.title = f.title;
  if (f.url) out.url = f.url;
  return out;
}
