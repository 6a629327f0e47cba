// The OCI retention adapter against the real CNCF distribution registry (2.8: no referrers API,
// so referrers are found through the `sha256-<hex>` tag schema): inventory, then deletes.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { OciRegistry } from "../../shared/adapters/oci/oci-registry.ts";
import { OciRetentionRegistry } from "../../shared/adapters/oci/oci-retention-registry.ts";
import { planRepository } from "../../shared/domain/plan-retention.ts";
import type { Artifact, RepositoryInventory } from "../../shared/domain/retention-inventory.ts";
import type { RetentionPolicy } from "../../shared/domain/retention-policy.ts";
import type { DeletionResult } from "../../shared/retention/retention-ports.ts";
import { type LocalRegistry, startLocalRegistry } from "../support/local-registry.ts";
import {
  attachArtifact,
  dsseEnvelope,
  listedTags,
  OCI_MANIFEST,
  type PushedImage,
  type PushedIndex,
  type PushTarget,
  pullStatus,
  pushBlob,
  pushCosignAttestations,
  pushImage,
  pushIndex,
  pushManifest,
  registryRequest,
  sha256,
} from "../support/oci-push.ts";

const REPO = "ret/app";
const QUARANTINE = "quarantine/ret/app";
const SBOM = "application/spdx+json";
const SIGNATURE = "application/vnd.dev.cosign.artifact.sig.v1+json";
const BUILT_AT = "2024-03-01T10:00:00.000Z";

let reg: LocalRegistry;
let registry: OciRegistry;
let a: PushedImage; // three tags
let b: PushedImage; // legacy cosign .sig and .att
let built: PushedImage; // config with `created`
let epoch: PushedImage; // reproducible build: created = 1970
let idx: PushedIndex;
let sbom: string; // referrer of a (tag schema)
let sbomSig: string; // referrer of the sbom
let legacySig: string;
let legacyAtt: string;
let untagged: PushedImage;
let quarantined: PushedImage;

/** An image whose config carries `created`, as a builder writes it. */
async function pushBuiltImage(
  t: PushTarget,
  repository: string,
  created: string,
  tags: string[],
): Promise<PushedImage> {
  const layerBytes = Buffer.from(`layer ${created} ${Math.random()}`);
  const layer = await pushBlob(t, repository, layerBytes, "application/vnd.oci.image.layer.v1.tar");
  const config = await pushBlob(
    t,
    repository,
    Buffer.from(
      JSON.stringify({
        created,
        architecture: "amd64",
        os: "linux",
        config: {},
        rootfs: { type: "layers", diff_ids: [sha256(layerBytes)] },
      }),
    ),
    "application/vnd.oci.image.config.v1+json",
  );
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [layer] }),
  );
  const digest = await pushManifest(t, repository, sha256(manifest), manifest, OCI_MANIFEST);
  for (const tag of tags) await pushManifest(t, repository, tag, manifest, OCI_MANIFEST);
  return {
    repository,
    digest,
    mediaType: OCI_MANIFEST,
    manifest,
    size: manifest.length,
    config,
    layers: [layer],
    tags,
  };
}

/** cosign's legacy signature layout: a manifest tagged `sha256-<hex>.sig`, no `subject` field. */
async function pushLegacySignature(t: PushTarget, repository: string, subject: string) {
  const config = await pushBlob(
    t,
    repository,
    Buffer.from(
      JSON.stringify({
        architecture: "",
        os: "",
        config: {},
        rootfs: { type: "layers", diff_ids: [] },
      }),
    ),
    "application/vnd.oci.image.config.v1+json",
  );
  const payload = await pushBlob(
    t,
    repository,
    Buffer.from(JSON.stringify({ critical: { image: { "docker-manifest-digest": subject } } })),
    "application/vnd.dev.cosign.simplesigning.v1+json",
  );
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [payload] }),
  );
  return pushManifest(t, repository, `${subject.replace(":", "-")}.sig`, manifest, OCI_MANIFEST);
}

const sizeOf = (img: PushedImage) => img.config.size + img.layers.reduce((n, l) => n + l.size, 0);
const tagOf = (digest: string) => digest.replace(":", "-");
const byDigest = (inv: RepositoryInventory) => new Map(inv.artifacts.map((x) => [x.digest, x]));
const at = (m: Map<string, Artifact>, digest: string): Artifact => {
  const x = m.get(digest);
  if (!x) throw new Error(`${digest} is not in the inventory`);
  return x;
};

beforeAll(async () => {
  reg = await startLocalRegistry();
  registry = new OciRegistry({ url: reg.url });
  a = await pushImage(reg, REPO, { tags: ["v1", "latest", "stable"] });
  b = await pushImage(reg, REPO, { tags: ["v2"] });
  built = await pushBuiltImage(reg, REPO, BUILT_AT, ["built"]);
  epoch = await pushBuiltImage(reg, REPO, "1970-01-01T00:00:01Z", ["repro"]);
  idx = await pushIndex(reg, REPO, { tags: ["multi"] });
  sbom = await attachArtifact(reg, REPO, a, {
    artifactType: SBOM,
    layers: [{ mediaType: SBOM, bytes: Buffer.from('{"spdxVersion":"SPDX-2.3"}') }],
  });
  const sbomManifest = await fetchManifestSize(reg, REPO, sbom);
  sbomSig = await attachArtifact(
    reg,
    REPO,
    { digest: sbom, mediaType: OCI_MANIFEST, size: sbomManifest },
    { artifactType: SIGNATURE, layers: [{ mediaType: SIGNATURE, bytes: Buffer.from("sig") }] },
  );
  legacySig = await pushLegacySignature(reg, REPO, b.digest);
  legacyAtt = await pushCosignAttestations(reg, REPO, b.digest, [
    { predicateType: "https://slsa.dev/provenance/v1", envelope: dsseEnvelope({ _type: "x" }) },
  ]);
  untagged = await pushImage(reg, REPO, { tags: [] });
  quarantined = await pushImage(reg, QUARANTINE, { tags: ["v0"] });
});

afterAll(async () => {
  registry?.close();
  await reg?.stop();
});

async function fetchManifestSize(t: PushTarget, repository: string, digest: string) {
  const res = await registryRequest(t, "GET", `/v2/${repository}/manifests/${digest}`, {
    headers: { accept: OCI_MANIFEST },
  });
  return res.body.length;
}

describe("OciRetentionRegistry.listRepositories", () => {
  it("lists the catalog sorted, quarantine repositories included", async () => {
    const r = new OciRetentionRegistry(registry);
    expect(r.kind).toBe("oci");
    expect(r.registryId).toBe(reg.host);
    expect(await r.listRepositories()).toEqual([QUARANTINE, REPO]);
  });
});

describe("OciRetentionRegistry.inventory", () => {
  it("lists every reachable manifest: tagged, index children and referrers (transitively)", async () => {
    const inv = await new OciRetentionRegistry(registry).inventory(REPO);
    expect(inv).toMatchObject({
      registry: "oci",
      registryId: reg.host,
      repository: REPO,
      manifestsKnown: true,
      pullTimesKnown: false,
    });
    const [c1, c2] = idx.children as [PushedImage, PushedImage];
    const digests = inv.artifacts.map((x) => x.digest);
    expect(new Set(digests).size).toBe(digests.length);
    const m = byDigest(inv);
    for (const d of [a, b, built, epoch, idx, c1, c2].map((x) => x.digest))
      expect(m.has(d)).toBe(true);
    for (const d of [sbom, sbomSig, legacySig, legacyAtt]) expect(m.has(d)).toBe(true);
    // Nothing lists an image pushed by digest alone: the distribution API cannot reach it.
    expect(m.has(untagged.digest)).toBe(false);
    // 7 images and index children, 2 referrers, 2 legacy cosign manifests, the tag-schema indexes.
    const tagSchema = inv.artifacts.filter((x) =>
      x.tags.some((t) => /^sha256-[a-f0-9]{64}$/.test(t)),
    );
    expect(tagSchema.map((x) => x.tags[0]).sort()).toEqual([tagOf(a.digest), tagOf(sbom)].sort());
    expect(inv.artifacts).toHaveLength(7 + 2 + 2 + tagSchema.length);
    for (const x of inv.artifacts) {
      expect(x.lastPulledAt).toBeUndefined();
      expect(x.quarantined).toBeUndefined();
    }
  });

  it("groups tags per digest and sizes images as config plus layers", async () => {
    const m = byDigest(await new OciRetentionRegistry(registry).inventory(REPO));
    expect(at(m, a.digest)).toMatchObject({
      tags: ["latest", "stable", "v1"],
      sizeBytes: sizeOf(a),
      mediaType: OCI_MANIFEST,
    });
    expect(at(m, a.digest).subject).toBeUndefined();
    expect(at(m, b.digest).tags).toEqual(["v2"]);
    expect(at(m, b.digest).sizeBytes).toBe(sizeOf(b));
  });

  it("lists an index with its children, the children untagged and sized from their manifests", async () => {
    const m = byDigest(await new OciRetentionRegistry(registry).inventory(REPO));
    const children = idx.children.map((c) => c.digest);
    expect(at(m, idx.digest)).toMatchObject({
      tags: ["multi"],
      children,
      mediaType: "application/vnd.oci.image.index.v1+json",
    });
    expect(at(m, idx.digest).sizeBytes).toBeUndefined();
    for (const c of idx.children) {
      expect(at(m, c.digest)).toMatchObject({ tags: [], sizeBytes: sizeOf(c) });
      expect(at(m, c.digest).subject).toBeUndefined();
    }
  });

  it("gives referrers their subject: OCI subject fields and tag-schema indexes", async () => {
    const m = byDigest(await new OciRetentionRegistry(registry).inventory(REPO));
    expect(at(m, sbom)).toMatchObject({ tags: [], subject: a.digest, artifactType: SBOM });
    expect(at(m, sbomSig)).toMatchObject({ tags: [], subject: sbom, artifactType: SIGNATURE });
    // Legacy cosign manifests have no subject field: their tag names it, and the planner reads it.
    expect(at(m, legacySig).tags).toEqual([`${tagOf(b.digest)}.sig`]);
    expect(at(m, legacyAtt).tags).toEqual([`${tagOf(b.digest)}.att`]);
    expect(at(m, legacySig).subject).toBeUndefined();
    expect(at(m, legacyAtt).subject).toBeUndefined();
    const schemaIndex = [...m.values()].find((x) => x.tags.includes(tagOf(a.digest)));
    expect(schemaIndex).toMatchObject({ subject: a.digest });
    // A referrers list, not a multi-platform image: nothing is its child.
    expect(schemaIndex?.children).toBeUndefined();
  });

  it("takes pushedAt from the config's created, ignores an epoch stamp, and prefers the recorded time", async () => {
    const plain = byDigest(await new OciRetentionRegistry(registry).inventory(REPO));
    expect(at(plain, built.digest).pushedAt).toBe(BUILT_AT);
    expect(at(plain, epoch.digest).pushedAt).toBeUndefined();
    expect(at(plain, a.digest).pushedAt).toBeUndefined(); // its config has no `created`

    const recorded = "2025-06-01T12:00:00.000Z";
    const asked: string[] = [];
    const withAudit = new OciRetentionRegistry(registry, {
      pushedAt: async (repository, digest) => {
        asked.push(`${repository}@${digest}`);
        return digest === a.digest || digest === built.digest ? recorded : undefined;
      },
    });
    const m = byDigest(await withAudit.inventory(REPO));
    expect(at(m, a.digest).pushedAt).toBe(recorded);
    expect(at(m, built.digest).pushedAt).toBe(recorded);
    expect(at(m, b.digest).pushedAt).toBeUndefined();
    expect(asked).toHaveLength(m.size);
    expect(asked).toContain(`${REPO}@${sbom}`);
  });

  it("costs one GET per tag, one per untagged manifest, one config per image and one referrers probe", async () => {
    const r = new OciRetentionRegistry(registry);
    const send = vi.spyOn(registry.client, "send");
    try {
      const inv = await r.inventory(REPO);
      const ops = send.mock.calls.map((c) => c[0].operation);
      const count = (op: string) => ops.filter((o) => o === op).length;
      const tags = inv.artifacts.reduce((n, x) => n + x.tags.length, 0);
      const untaggedListed = inv.artifacts.filter((x) => x.tags.length === 0).length;
      expect(count("ListTags")).toBe(1);
      expect(count("GetManifest")).toBe(tags + untaggedListed);
      // distribution 2.8 has no referrers API: asked once, then the tag schema serves.
      expect(count("ListReferrers")).toBe(1);
      // a, b, built, epoch and the two children: referrers' configs are not read.
      expect(count("GetBlob")).toBe(6);
      expect(ops).toHaveLength(1 + tags + untaggedListed + 1 + 6);
    } finally {
      send.mockRestore();
    }
  });

  it("marks everything in a quarantine repository quarantined", async () => {
    const inv = await new OciRetentionRegistry(registry).inventory(QUARANTINE);
    expect(inv.artifacts).toEqual([
      {
        digest: quarantined.digest,
        tags: ["v0"],
        sizeBytes: sizeOf(quarantined),
        mediaType: OCI_MANIFEST,
        quarantined: true,
      },
    ]);
  });

  it("has an empty inventory for a repository that does not exist", async () => {
    const inv = await new OciRetentionRegistry(registry).inventory("ret/none");
    expect(inv.artifacts).toEqual([]);
  });
});

describe("OciRetentionRegistry.deleteManifests", () => {
  const DEL = "del/app";
  let x: PushedImage;
  let y: PushedImage;
  let keep: PushedImage;
  let j: PushedIndex;

  beforeAll(async () => {
    x = await pushImage(reg, DEL, { tags: ["x1", "x2"] });
    y = await pushImage(reg, DEL, { tags: ["y1"] });
    keep = await pushImage(reg, DEL, { tags: ["keep"] });
    j = await pushIndex(reg, DEL, { tags: ["j"] });
  });

  it("deletes by digest in the order given, takes the tags along, leaves the rest", async () => {
    const r = new OciRetentionRegistry(registry);
    const order = [j.digest, ...j.children.map((c) => c.digest), x.digest, y.digest];
    const seen: DeletionResult[] = [];
    const send = vi.spyOn(registry.client, "send");
    let results: DeletionResult[];
    try {
      results = await r.deleteManifests(DEL, order, (res) => seen.push(res));
      expect(send.mock.calls.map((c) => c[0].path)).toEqual(
        order.map((d) => `/v2/${DEL}/manifests/${d}`),
      );
      expect(send.mock.calls.every((c) => c[0].method === "DELETE")).toBe(true);
    } finally {
      send.mockRestore();
    }
    expect(results).toEqual(order.map((digest) => ({ digest, outcome: "deleted" })));
    expect(seen).toEqual(results);
    for (const d of order) expect(await pullStatus(reg, DEL, d)).toBe(404);
    expect(await pullStatus(reg, DEL, keep.digest)).toBe(200);
    expect(await listedTags(reg, DEL)).toEqual(["keep"]);
    for (const t of ["x1", "x2", "y1", "j"]) expect(await pullStatus(reg, DEL, t)).toBe(404);
    const left = await r.inventory(DEL);
    expect(left.artifacts.map((z) => z.digest)).toEqual([keep.digest]);
  });

  it("reports already-gone on a second run, and refuses a malformed digest unsent", async () => {
    const r = new OciRetentionRegistry(registry);
    const bogus = "sha256:../../keep";
    const results = await r.deleteManifests(DEL, [x.digest, bogus, y.digest]);
    expect(results).toEqual([
      { digest: x.digest, outcome: "already-gone" },
      { digest: bogus, outcome: "failed", code: "DIGEST_INVALID", message: expect.any(String) },
      { digest: y.digest, outcome: "already-gone" },
    ]);
    expect(await pullStatus(reg, DEL, keep.digest)).toBe(200);
  });
});

describe("plan, then delete exactly the plan's deletions", () => {
  const E2E = "e2e/app";
  const policy: RetentionPolicy = {
    rules: [
      {
        index: 0,
        template: "always",
        tagSelector: { tags: { decoration: "matches", patterns: ["v*"] }, untagged: false },
        repositorySelector: { decoration: "matches", patterns: ["**"] },
      },
    ],
    protections: { immutableTags: [], inUse: false },
    gc: { orphanReferrers: true },
    scheduleApplies: false,
  };
  const ctx = { now: new Date("2030-01-01T00:00:00Z"), policyVersion: "test" };

  it("keeps what the policy keeps with its children and referrers, and a second run deletes nothing", async () => {
    const keep = await pushImage(reg, E2E, { tags: ["v1"] });
    const drop = await pushImage(reg, E2E, { tags: ["dev-1"] });
    const attach = (subject: PushedImage) =>
      attachArtifact(reg, E2E, subject, {
        artifactType: SBOM,
        layers: [{ mediaType: SBOM, bytes: Buffer.from(`{"for":"${subject.digest}"}`) }],
      });
    const keepSbom = await attach(keep);
    const dropSbom = await attach(drop);
    const keepSig = await pushLegacySignature(reg, E2E, keep.digest);
    const dropSig = await pushLegacySignature(reg, E2E, drop.digest);
    const multiKeep = await pushIndex(reg, E2E, { tags: ["v2"] });
    const multiDrop = await pushIndex(reg, E2E, { tags: ["dev-2"] });

    const r = new OciRetentionRegistry(registry);
    const inv = await r.inventory(E2E);
    const plan = planRepository(inv, policy, ctx);
    const deletions = plan.artifacts.filter((x) => x.decision === "delete").map((x) => x.digest);
    const results = await r.deleteManifests(E2E, deletions);
    expect(results.every((x) => x.outcome === "deleted")).toBe(true);

    const kept = [keep, multiKeep, ...multiKeep.children].map((x) => x.digest);
    kept.push(keepSbom, keepSig);
    const gone = [drop, multiDrop, ...multiDrop.children].map((x) => x.digest);
    gone.push(dropSbom, dropSig);
    for (const d of kept) expect(await pullStatus(reg, E2E, d)).toBe(200);
    for (const d of gone) expect(await pullStatus(reg, E2E, d)).toBe(404);
    expect(await pullStatus(reg, E2E, tagOf(keep.digest))).toBe(200);
    expect(await pullStatus(reg, E2E, tagOf(drop.digest))).toBe(404);
    expect(await listedTags(reg, E2E)).toEqual(
      ["v1", "v2", tagOf(keep.digest), `${tagOf(keep.digest)}.sig`].sort(),
    );

    const again = planRepository(await r.inventory(E2E), policy, ctx);
    expect(again.deleted).toBe(0);
    expect(again.kept).toBe(plan.kept);
  });
});
