import type { RepositoryInventory } from "../domain/retention-inventory.ts";
import type { PlannedArtifact } from "../domain/retention-plan.ts";

/**
 * Compares a repository's planned deletions with the registry as it is now, just before
 * deleting. A plan is a promise about the inventory it was made from; this check is what makes
 * a saved plan safe to apply later (hours after `retention plan`, or by a resumed run):
 *
 * - a digest no longer in the registry is already gone (nothing to delete; it is still audited,
 *   which also heals a crash between a deletion and its audit record);
 * - a digest whose tags changed (someone re-tagged or un-tagged it) is skipped: the plan's
 *   decision was about other tags;
 * - a digest that an index which stays now lists (kept by the plan, pushed since, or itself
 *   skipped) is skipped: deleting it would break pulls of that index;
 * - a referrer whose subject is present and stays is skipped: it was planned as an orphan or
 *   with its subject, neither of which is true now.
 *
 * What remains is split into waves: a digest comes in a later wave than every index listing it
 * and its subject, so a parent is confirmed deleted before its children and referrers go.
 */
export interface StaleCheck {
  gone: PlannedArtifact[];
  skipped: { artifact: PlannedArtifact; why: string }[];
  /** Digests to delete, parents first; each wave in plan order. */
  waves: PlannedArtifact[][];
  /** The digests that must be confirmed gone before `digest` may be deleted. */
  parentsOf(digest: string): readonly string[];
}

export function checkPlannedDeletions(
  planned: readonly PlannedArtifact[],
  current: RepositoryInventory,
  keptInPlan: ReadonlySet<string>,
): StaleCheck {
  const now = new Map(current.artifacts.map((a) => [a.digest, a]));
  const listedBy = new Map<string, string[]>();
  for (const a of current.artifacts) {
    for (const child of a.children ?? []) {
      const list = listedBy.get(child);
      if (list) list.push(a.digest);
      else listedBy.set(child, [a.digest]);
    }
  }

  const gone: PlannedArtifact[] = [];
  const skipped: StaleCheck["skipped"] = [];
  const going = new Map<string, PlannedArtifact>();
  for (const a of planned) {
    const cur = now.get(a.digest);
    if (!cur) gone.push(a);
    else if (!sameTags(a.tags, cur.tags)) {
      skipped.push({
        artifact: a,
        why: `changed since the plan: tags now ${tagList(cur.tags)}, planned ${tagList(a.tags)}`,
      });
    } else going.set(a.digest, a);
  }

  const stays = (digest: string) =>
    keptInPlan.has(digest)
      ? "which the plan keeps"
      : going.has(digest)
        ? ""
        : planned.some((p) => p.digest === digest)
          ? "which is not deleted now"
          : "which was pushed after the plan";

  // Skipping an index keeps its children, which may keep theirs: repeat until nothing changes.
  for (let changed = true; changed; ) {
    changed = false;
    for (const [digest, a] of going) {
      const why = blockedBy(digest, now.get(digest)?.subject, listedBy, going, now, stays);
      if (why) {
        going.delete(digest);
        skipped.push({ artifact: a, why: `changed since the plan: ${why}` });
        changed = true;
      }
    }
  }

  const parents = new Map<string, string[]>();
  for (const digest of going.keys()) {
    const subject = now.get(digest)?.subject;
    const list = (listedBy.get(digest) ?? []).filter((p) => going.has(p));
    if (subject && going.has(subject) && !list.includes(subject)) list.push(subject);
    parents.set(digest, list);
  }
  const depth = new Map<string, number>();
  const depthOf = (digest: string, seen: Set<string>): number => {
    const known = depth.get(digest);
    if (known !== undefined) return known;
    seen.add(digest);
    let d = 0;
    for (const p of parents.get(digest) ?? []) {
      if (!seen.has(p)) d = Math.max(d, depthOf(p, seen) + 1);
    }
    seen.delete(digest);
    depth.set(digest, d);
    return d;
  };
  const waves: PlannedArtifact[][] = [];
  for (const a of going.values()) {
    const d = depthOf(a.digest, new Set());
    while (waves.length <= d) waves.push([]);
    waves[d]?.push(a);
  }

  return {
    gone,
    skipped,
    waves: waves.filter((w) => w.length > 0),
    parentsOf: (digest) => parents.get(digest) ?? [],
  };
}

function blockedBy(
  digest: string,
  subject: string | undefined,
  listedBy: ReadonlyMap<string, string[]>,
  going: ReadonlyMap<string, PlannedArtifact>,
  now: ReadonlyMap<string, unknown>,
  stays: (digest: string) => string,
): string | undefined {
  const index = (listedBy.get(digest) ?? []).find((p) => !going.has(p));
  if (index) return `listed by index ${index}, ${stays(index)}`;
  if (subject && subject !== digest && now.has(subject) && !going.has(subject)) {
    return `its subject ${subject} is present, ${stays(subject)}`;
  }
  return undefined;
}

function sameTags(a: readonly string[], b: readonly string[]): boolean {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((t) => y.has(t));
}

function tagList(tags: readonly string[]): string {
  if (tags.length === 0) return "(untagged)";
  const shown = [...tags].sort().slice(0, 5).join(", ");
  return tags.length > 5 ? `[${shown}, … ${tags.length - 5} more]` : `[${shown}]`;
}
