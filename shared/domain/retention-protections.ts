import type { Artifact } from "./retention-inventory.ts";
import type { RetentionProtections } from "./retention-policy.ts";
import { DAY_MS } from "./retention-rules.ts";
import { anyPattern } from "./retention-selectors.ts";

/**
 * What keeps an artifact whatever the rules say, checked in the order the plan reports them:
 * an immutable tag, a live quarantine, a running workload, a recent pull. Any role is
 * protected (an index's child or a signature too); a protected artifact keeps its own
 * children and referrers through the planner, never its parents.
 */

export type ProtectionReason = "immutable-tag" | "quarantined" | "in-use" | "pulled-recently";

export interface Protection {
  reason: ProtectionReason;
  detail: string;
}

export interface Protections {
  /** The first protection that applies, or undefined. `pulledMs` as in RuleFacts. */
  protect(artifact: Artifact, pulledMs: number): Protection | undefined;
  /** Quarantined, and the quarantine is older than quarantineExpiresAfterDays. */
  quarantineExpired(artifact: Artifact): boolean;
}

export function protectionsOf(
  settings: RetentionProtections,
  inUse: ReadonlySet<string> | undefined,
  nowMs: number,
): Protections {
  // Compiled once: the pattern is named in the detail, so each keeps its own matcher.
  const patterns = settings.immutableTags.map((p) => ({ pattern: p, test: anyPattern([p]) }));
  const immutable =
    patterns.length > 0 ? (tag: string) => patterns.some((p) => p.test(tag)) : undefined;
  const patternOf = (tag: string) => patterns.find((p) => p.test(tag))?.pattern ?? "";
  const expiresDays = settings.quarantineExpiresAfterDays;
  const pulledDays = settings.pulledWithinDays;
  const useSet = settings.inUse ? inUse : undefined;
  const pulledDetail = `kept: pulled within the last ${pulledDays} days (pulledWithinDays ${pulledDays})`;

  /** ms the quarantine began, NaN when unknown. */
  const quarantinedMs = (a: Artifact) =>
    a.quarantinedAt ? Date.parse(a.quarantinedAt) : Number.NaN;
  const expired = (a: Artifact) => {
    if (!a.quarantined || expiresDays === undefined) return false;
    const since = quarantinedMs(a);
    return !Number.isNaN(since) && nowMs - since > expiresDays * DAY_MS;
  };

  return {
    quarantineExpired: expired,
    protect(artifact, pulledMs) {
      if (immutable) {
        let tag: string | undefined;
        for (const t of artifact.tags) if (immutable(t) && (tag === undefined || t < tag)) tag = t;
        if (tag !== undefined) {
          return {
            reason: "immutable-tag",
            detail: `kept: tag ${tag} matches the immutable tag pattern ${patternOf(tag)}`,
          };
        }
      }
      if (artifact.quarantined && !expired(artifact)) {
        return { reason: "quarantined", detail: quarantineDetail(artifact, expiresDays) };
      }
      if (useSet?.has(artifact.digest)) {
        return { reason: "in-use", detail: "kept: a running workload uses this digest" };
      }
      if (pulledDays !== undefined && pulledMs >= nowMs - pulledDays * DAY_MS) {
        return {
          reason: "pulled-recently",
          detail: pulledDetail,
        };
      }
      return undefined;
    },
  };
}

function quarantineDetail(artifact: Artifact, expiresDays: number | undefined): string {
  const since = artifact.quarantinedAt ? ` since ${artifact.quarantinedAt}` : "";
  if (expiresDays === undefined) return `kept: quarantined${since}, until someone releases it`;
  if (!since) {
    return `kept: quarantined, and the registry does not say since when, so quarantineExpiresAfterDays ${expiresDays} cannot expire it`;
  }
  return `kept: quarantined${since}, within quarantineExpiresAfterDays ${expiresDays}`;
}
