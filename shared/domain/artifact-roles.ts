import type { Artifact } from "./retention-inventory.ts";
import type { ArtifactRole } from "./retention-plan.ts";

/**
 * How the manifests of one repository hang together: which index lists which manifest, which
 * referrer (signature, attestation, SBOM) refers to which subject, and so each manifest's role.
 * Positions are indexes into `artifacts`; every relation is kept both ways so the planner can
 * walk parents → children and subjects → referrers in linear time.
 */
export interface ArtifactGraph {
  /** The inventory's artifacts, one per digest (duplicates merged: tags united, first wins). */
  artifacts: Artifact[];
  roles: ArtifactRole[];
  /** Positions of the indexes in this repository that list the artifact. */
  parents: (number[] | undefined)[];
  /** Positions of the listed manifests present in this repository. */
  children: (number[] | undefined)[];
  /** Every digest a referrer names as its subject, present or not, sorted. */
  subjectDigests: (string[] | undefined)[];
  /** The legacy tag that made a referrer of it, when no OCI subject did. */
  legacyTag: (string | undefined)[];
  /** Positions of the subjects present in this repository. */
  subjects: (number[] | undefined)[];
  referrers: (number[] | undefined)[];
  /** Each artifact's position in digest order: integer comparisons instead of string ones. */
  rank: Int32Array;
  /**
   * False for an untagged manifest whose place is unknown: the inventory could not read index
   * children and subjects (manifestsKnown: false), so it may belong to an index or a subject.
   */
  placed: boolean[];
}

/** cosign's tag schema for registries without the referrers API: sha256-<hex>.sig|.att|.sbom. */
const LEGACY_REFERRER_TAG = /^sha256-([0-9a-f]{64})\.(sig|att|sbom)$/;

const INDEX_MEDIA_TYPES = new Set([
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
]);

/** The subject digest a legacy referrer tag names, or undefined for any other tag. */
export function legacySubjectOf(tag: string): string | undefined {
  // Cheap test first: most tags are not legacy referrer tags.
  if (tag.length < 75 || tag.charCodeAt(6) !== 45 || !tag.startsWith("sha256-")) return undefined;
  const m = LEGACY_REFERRER_TAG.exec(tag);
  return m ? `sha256:${m[1]}` : undefined;
}

export function artifactGraph(input: readonly Artifact[], manifestsKnown: boolean): ArtifactGraph {
  let artifacts = [...input];
  let index = digestIndex(artifacts.map((a) => a.digest));
  if (index.duplicates) {
    artifacts = mergeDuplicates(artifacts);
    index = digestIndex(artifacts.map((a) => a.digest));
  }
  const n = artifacts.length;
  const parents: (number[] | undefined)[] = new Array(n);
  const children: (number[] | undefined)[] = new Array(n);
  const subjectDigests: (string[] | undefined)[] = new Array(n);
  const legacyTag: (string | undefined)[] = new Array(n);
  const subjects: (number[] | undefined)[] = new Array(n);
  const referrers: (number[] | undefined)[] = new Array(n);

  for (let i = 0; i < n; i++) {
    const artifact = artifacts[i] as Artifact;
    const named = namedSubjects(artifact);
    if (named) {
      subjectDigests[i] = named.digests;
      legacyTag[i] = named.legacyTag;
      for (const digest of named.digests) {
        const s = index.find(digest);
        if (s !== undefined && s !== i) {
          link(subjects, i, s);
          link(referrers, s, i);
        }
      }
    }
    for (const digest of artifact.children ?? []) {
      const c = index.find(digest);
      if (c !== undefined && c !== i && !children[i]?.includes(c)) {
        link(children, i, c);
        link(parents, c, i);
      }
    }
  }

  const roles: ArtifactRole[] = new Array(n);
  const placed: boolean[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const artifact = artifacts[i] as Artifact;
    const role: ArtifactRole = subjectDigests[i]
      ? "referrer"
      : parents[i]
        ? "index-child"
        : artifact.children !== undefined || INDEX_MEDIA_TYPES.has(artifact.mediaType ?? "")
          ? "index"
          : "image";
    roles[i] = role;
    placed[i] =
      manifestsKnown || artifact.tags.length > 0 || role === "referrer" || role === "index-child";
  }
  const rank = index.rank;
  return {
    artifacts,
    roles,
    rank,
    parents,
    children,
    subjectDigests,
    legacyTag,
    subjects,
    referrers,
    placed,
  };
}

/** The OCI subject, or else every subject its legacy tags name. */
function namedSubjects(artifact: Artifact): { digests: string[]; legacyTag?: string } | undefined {
  if (artifact.subject) return { digests: [artifact.subject] };
  let digests: string[] | undefined;
  let first: string | undefined;
  for (const tag of artifact.tags) {
    const digest = legacySubjectOf(tag);
    if (digest === undefined) continue;
    if (first === undefined || tag < first) first = tag;
    digests ??= [];
    if (!digests.includes(digest)) digests.push(digest);
  }
  return digests && first ? { digests: digests.sort(), legacyTag: first } : undefined;
}

function link(lists: (number[] | undefined)[], from: number, to: number): void {
  const list = lists[from];
  if (list) list.push(to);
  else lists[from] = [to];
}

/** A registry listing one digest twice (one row per tag) describes one manifest: tags united. */
function mergeDuplicates(input: readonly Artifact[]): Artifact[] {
  const artifacts: Artifact[] = [];
  const seen = new Map<string, number>();
  for (const artifact of input) {
    const at = seen.get(artifact.digest);
    if (at === undefined) {
      seen.set(artifact.digest, artifacts.length);
      artifacts.push(artifact);
    } else {
      const first = artifacts[at] as Artifact;
      artifacts[at] = { ...first, tags: [...new Set([...first.tags, ...artifact.tags])] };
    }
  }
  return artifacts;
}

const INDEX_BITS = 2 ** 21;

/** Digests in code-unit order, and lookup by digest, without a string-keyed map. */
interface DigestIndex {
  /** Each digest's position in code-unit order. */
  rank: Int32Array;
  /** Whether some digest occurs twice. */
  duplicates: boolean;
  /** The position of a digest, or undefined. */
  find(digest: string): number | undefined;
}

/** Each digest's position in code-unit order (see digestIndex). */
export function digestRanks(digests: readonly string[]): Int32Array {
  return digestIndex(digests).rank;
}

/**
 * SHA-256 digests are spread evenly, so a numeric sort of their first 32 bits (packed with
 * the position into one float) orders them natively, and a binary search over those prefixes
 * finds one; the rare equal prefixes are settled by comparing strings. Anything that is not
 * `sha256:` and lower-case hex, or a repository over two million manifests, takes strings and
 * a map instead.
 */
function digestIndex(digests: readonly string[]): DigestIndex {
  const n = digests.length;
  const keys = n < INDEX_BITS ? prefixKeys(digests) : undefined;
  if (!keys) return stringIndex(digests);
  keys.sort();
  const order = new Int32Array(n);
  const prefixes = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const key = keys[k] as number;
    order[k] = key % INDEX_BITS;
    prefixes[k] = Math.floor(key / INDEX_BITS);
  }
  let duplicates = false;
  for (let k = 0; k < n; ) {
    let end = k + 1;
    while (end < n && prefixes[end] === prefixes[k]) end++;
    if (end - k > 1) {
      const run = Array.from(order.subarray(k, end)).sort((a, b) =>
        compare(digests[a] as string, digests[b] as string),
      );
      for (let j = k; j < end; j++) {
        order[j] = run[j - k] as number;
        if (j > k && digests[order[j] as number] === digests[order[j - 1] as number]) {
          duplicates = true;
        }
      }
    }
    k = end;
  }
  const rank = new Int32Array(n);
  for (let k = 0; k < n; k++) rank[order[k] as number] = k;
  return {
    rank,
    duplicates,
    find(digest) {
      const prefix = prefixOf(digest);
      if (prefix < 0) return undefined;
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((prefixes[mid] as number) < prefix) lo = mid + 1;
        else hi = mid;
      }
      for (let k = lo; k < n && prefixes[k] === prefix; k++) {
        const at = order[k] as number;
        if (digests[at] === digest) return at;
      }
      return undefined;
    },
  };
}

function stringIndex(digests: readonly string[]): DigestIndex {
  const order = Array.from({ length: digests.length }, (_, i) => i);
  order.sort((a, b) => compare(digests[a] as string, digests[b] as string));
  const rank = new Int32Array(digests.length);
  const positions = new Map<string, number>();
  let duplicates = false;
  order.forEach((i, k) => {
    rank[i] = k;
    const digest = digests[i] as string;
    if (positions.has(digest)) duplicates = true;
    else positions.set(digest, i);
  });
  return { rank, duplicates, find: (digest) => positions.get(digest) };
}

/** prefix32 * 2^21 + position per digest, or undefined when a digest is not sha256 hex. */
function prefixKeys(digests: readonly string[]): Float64Array | undefined {
  const keys = new Float64Array(digests.length);
  for (let i = 0; i < digests.length; i++) {
    const prefix = prefixOf(digests[i] as string);
    if (prefix < 0) return undefined;
    keys[i] = prefix * INDEX_BITS + i;
  }
  return keys;
}

/** The 32 bits after `sha256:` as a number, or -1 when they are not lower-case hex. */
function prefixOf(digest: string): number {
  if (digest.length < 15 || !digest.startsWith("sha256:")) return -1;
  let prefix = 0;
  for (let c = 7; c < 15; c++) {
    const code = digest.charCodeAt(c);
    const digit = code >= 48 && code <= 57 ? code - 48 : code >= 97 && code <= 102 ? code - 87 : -1;
    if (digit < 0) return -1;
    prefix = prefix * 16 + digit;
  }
  return prefix;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
