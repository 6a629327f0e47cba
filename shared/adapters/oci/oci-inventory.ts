import { mapLimit } from "../../concurrency/map-limit.ts";
import { DIGEST_RE } from "../../domain/image.ts";
import type { Artifact } from "../../domain/retention-inventory.ts";
import type { Log } from "../../ports.ts";
import { listTags } from "./oci-catalog.ts";
import type { OciClient } from "./oci-client.ts";
import { configCreated } from "./oci-config-created.ts";
import { getManifest, type Manifest } from "./oci-manifest.ts";
import {
  isReferrersIndexTag,
  type ManifestFacts,
  manifestFacts,
  subjectOfTags,
} from "./oci-manifest-facts.ts";
import { referrersFromApi } from "./oci-referrers-api.ts";

export interface InventoryOptions {
  /** Requests in flight at once. */
  concurrency: number;
  /** Every artifact of a quarantine repository is quarantined. */
  quarantined: boolean;
  /** The recorded push time of a manifest (the audit trail); config `created` when undefined. */
  pushedAt?: (repository: string, digest: string) => Promise<string | undefined>;
  log?: Log;
  /** Rounds of "children and referrers of what was found" followed at most. Default 6. */
  maxDepth?: number;
}

interface Entry {
  facts: ManifestFacts;
  tags: string[];
  subject?: string;
  /** Digests this manifest makes known: index children, or the referrers a tag-schema index lists. */
  lists: { digest: string; asReferrer: boolean }[];
}

const DEFAULT_MAX_DEPTH = 6;

/**
 * Every manifest of a repository the distribution API can reach: the tagged ones (one GET per
 * tag, the digest hashed from the bytes, tags grouped by digest), then, round by round, the
 * children of indexes and the referrers of everything found (the referrers API when the registry
 * has one, and the `sha256-<hex>` tag-schema indexes in any case), each read once by digest. An
 * untagged manifest nothing lists is out of reach: the API cannot enumerate manifests, only the
 * registry's own `garbage-collect --delete-untagged` sees those.
 */
export async function readInventory(
  client: OciClient,
  repository: string,
  opts: InventoryOptions,
): Promise<Artifact[]> {
  const where = (digest: string) => client.target({ repository, reference: digest });
  const entries = new Map<string, Entry>();

  // Tags: every one resolved from the bytes served (a header could lie, and a tag decides what is
  // kept), so a tag is never attributed to the wrong digest.
  const tags = [...new Set(await listTags(client, repository))];
  const byTag = await mapLimit(tags, opts.concurrency, (t) => getManifest(client, repository, t));
  let frontier: Entry[] = [];
  tags.forEach((tag, i) => {
    const m = byTag[i];
    if (!m) return; // deleted since the tag list was read
    const known = entries.get(m.digest);
    if (known) known.tags.push(tag);
    else {
      const e = entry(m, where(m.digest), [tag]);
      entries.set(m.digest, e);
      frontier.push(e);
    }
  });
  for (const e of frontier) settleTagged(e);

  let api: boolean | undefined;
  const referrersOf = async (digest: string): Promise<string[]> => {
    if (api === false) return [];
    const found = await referrersFromApi(client, repository, digest);
    api = found !== null;
    return (found ?? []).map((d) => d.digest);
  };

  for (let depth = 0; frontier.length > 0; depth++) {
    if (depth >= (opts.maxDepth ?? DEFAULT_MAX_DEPTH)) {
      // Not followed further: what lies beyond is not listed, so it is not deleted either.
      opts.log?.warn("retention inventory: nesting deeper than followed", {
        repository,
        maxDepth: opts.maxDepth ?? DEFAULT_MAX_DEPTH,
        unexplored: frontier.length,
      });
      break;
    }
    // The first call tells whether the registry has a referrers API at all.
    const [first, ...rest] = frontier;
    const apiFound: string[][] = [];
    if (first) apiFound.push(await referrersOf(first.facts.digest));
    apiFound.push(...(await mapLimit(rest, opts.concurrency, (e) => referrersOf(e.facts.digest))));
    const wanted = new Map<string, string | undefined>(); // digest → subject it was found by
    const want = (digest: string, subject: string | undefined) => {
      // Only sha256 digests can be fetched and verified; a manifest already listed is not re-read.
      if (!DIGEST_RE.test(digest) || entries.has(digest)) return;
      if (wanted.get(digest) === undefined) wanted.set(digest, subject);
    };
    frontier.forEach((e, i) => {
      for (const l of e.lists) want(l.digest, l.asReferrer ? e.subject : undefined);
      for (const d of apiFound[i] ?? []) want(d, e.facts.digest);
    });
    const digests = [...wanted.keys()];
    const fetched = await mapLimit(digests, opts.concurrency, (d) =>
      getManifest(client, repository, d),
    );
    frontier = [];
    digests.forEach((d, i) => {
      const m = fetched[i];
      if (!m || entries.has(d)) return; // listed, but not (or no longer) in the repository
      const e = entry(m, where(d), []);
      e.subject ??= wanted.get(d);
      entries.set(d, e);
      frontier.push(e);
    });
  }

  const all = [...entries.values()].sort((a, b) =>
    a.facts.digest < b.facts.digest ? -1 : a.facts.digest > b.facts.digest ? 1 : 0,
  );
  const created = new Map<string, Promise<string | undefined>>();
  const pushedAt = async (e: Entry): Promise<string | undefined> => {
    const recorded = await opts.pushedAt?.(repository, e.facts.digest);
    if (recorded !== undefined) return recorded;
    // Referrers (signatures, attestations, legacy cosign tags) carry no meaningful build time.
    const config = e.facts.imageConfig;
    if (!config || e.subject !== undefined || subjectOfTags(e.tags) !== undefined) return undefined;
    let p = created.get(config.digest);
    if (!p) {
      p = configCreated(client, repository, config);
      created.set(config.digest, p);
    }
    return p;
  };
  const times = await mapLimit(all, opts.concurrency, pushedAt);
  return all.map((e, i) => artifactOf(e, times[i], opts.quarantined));
}

function entry(m: Manifest, target: ReturnType<OciClient["target"]>, tags: string[]): Entry {
  const facts = manifestFacts(m, target);
  const e: Entry = {
    facts,
    tags,
    lists: (facts.children ?? []).map((digest) => ({ digest, asReferrer: false })),
  };
  if (facts.subject) e.subject = facts.subject;
  return e;
}

/**
 * A `sha256-<hex>` index is the tag schema's list of referrers, not a multi-platform image: it
 * refers to that subject (and goes with it), and what it lists refers to the subject too. Legacy
 * cosign tags (`sha256-<hex>.sig|.att|.sbom`) are left as tags: the planner reads them itself.
 */
function settleTagged(e: Entry): void {
  const schemaTag = e.tags.find(isReferrersIndexTag);
  if (schemaTag === undefined || !e.facts.children) return;
  e.subject ??= subjectOfTags([schemaTag]);
  e.lists = e.facts.children.map((digest) => ({ digest, asReferrer: true }));
  delete e.facts.children;
}

function artifactOf(e: Entry, pushedAt: string | undefined, quarantined: boolean): Artifact {
  const f = e.facts;
  return {
    digest: f.digest,
    tags: [...e.tags].sort(),
    ...(pushedAt !== undefined ? { pushedAt } : {}),
    ...(f.sizeBytes !== undefined ? { sizeBytes: f.sizeBytes } : {}),
    mediaType: f.mediaType,
    ...(f.artifactType !== undefined ? { artifactType: f.artifactType } : {}),
    ...(f.children !== undefined ? { children: f.children } : {}),
    ...(e.subject !== undefined ? { subject: e.subject } : {}),
    ...(quarantined ? { quarantined: true } : {}),
  };
}
