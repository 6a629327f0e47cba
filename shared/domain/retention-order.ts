import type { ArtifactGraph } from "./artifact-roles.ts";

/**
 * The order a repository's plan lists its artifacts in: every index before the manifests it
 * lists, every subject before its referrers (so applying deletions in this order never leaves
 * an index pointing at a deleted child), then by digest. Depth is the longest chain of parents
 * and subjects above an artifact. Digests make cycles impossible in a real registry; should an
 * inventory still contain one, its members come last instead of looping.
 */
const LISTS = ["children", "referrers"] as const;

export function deletionSafeOrder(graph: ArtifactGraph): number[] {
  const n = graph.artifacts.length;
  const waiting = new Int32Array(n);
  const depth = new Int32Array(n);
  const ready: number[] = [];
  for (let i = 0; i < n; i++) {
    waiting[i] = (graph.parents[i]?.length ?? 0) + (graph.subjects[i]?.length ?? 0);
    if (waiting[i] === 0) ready.push(i);
  }
  let done = 0;
  let deepest = 0;
  while (done < ready.length) {
    const u = ready[done++] as number;
    const next = (depth[u] as number) + 1;
    if (next > deepest && (graph.children[u] || graph.referrers[u])) deepest = next;
    for (const list of LISTS) {
      const below = graph[list][u];
      if (!below) continue;
      for (const v of below) {
        if (next > (depth[v] as number)) depth[v] = next;
        waiting[v] = (waiting[v] as number) - 1;
        if (waiting[v] === 0) ready.push(v);
      }
    }
  }
  if (done < n) {
    for (let i = 0; i < n; i++) if ((waiting[i] as number) > 0) depth[i] = deepest + 1;
  }
  // Bucket by depth, each bucket in digest order: a counting sort over the digest ranks.
  const byRank = new Int32Array(n);
  for (let i = 0; i < n; i++) byRank[graph.rank[i] as number] = i;
  const levels = deepest + 2;
  const start = new Int32Array(levels + 1);
  for (let i = 0; i < n; i++) {
    const slot = (depth[i] as number) + 1;
    start[slot] = (start[slot] as number) + 1;
  }
  for (let d = 0; d < levels; d++) start[d + 1] = (start[d + 1] as number) + (start[d] as number);
  const order: number[] = new Array(n);
  for (let k = 0; k < n; k++) {
    const i = byRank[k] as number;
    const d = depth[i] as number;
    order[start[d] as number] = i;
    start[d] = (start[d] as number) + 1;
  }
  return order;
}
