// `verify oci-layout:DIR@DIGEST` with Notation trust: the image's Notation signature referrers
// are read from the layout, whether index.json lists them (ORAS's layout store, with their
// `subject`) or only the `sha256-<hex>` tag-schema index does.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCaptured } from "../../cli/run-captured.ts";
import { BlobStore, imageManifest } from "../support/cosign-vectors.ts";
import {
  jwsEnvelope,
  makeCa,
  makeLeaf,
  notationPayload,
  notationReferrer,
} from "../support/notation-vectors.ts";
import { layoutEntry, OCI_INDEX, REF_NAME, writeLayout } from "../support/oci-layout-dir.ts";

const IDENTITY = "x509.subject: C=US, ST=WA, L=Seattle, O=Acme Rockets, CN=release signer";
const NOTATION = "application/vnd.cncf.notary.signature";
const DAY = 24 * 3600_000;
// The CLI checks certificates at its own clock: valid around now.
const at = (ms: number) => new Date(Date.now() + ms);
const root = makeCa({ notBefore: at(-365 * DAY), notAfter: at(3650 * DAY) });
const leaf = makeLeaf(root, { notBefore: at(-30 * DAY), notAfter: at(365 * DAY) });
const image = imageManifest();

let dir: string;
let store: string;

/** A layout holding the image and its Notation referrer, listed as `how` says. */
async function layout(name: string, how: "index-json" | "tag-schema"): Promise<string> {
  const blobs = new BlobStore();
  blobs.put(image.bytes);
  const target = { digest: image.digest, size: image.bytes.length };
  const envelope = jwsEnvelope(notationPayload(target), [leaf, root], "p256", {
    signingTime: at(-60_000),
  });
  const sig = notationReferrer(envelope, "application/jose+json", target, blobs);
  blobs.put(sig.bytes);
  const entries: object[] = [layoutEntry(image, { [REF_NAME]: "v1" })];
  if (how === "index-json") {
    entries.push(layoutEntry(sig, undefined, { artifactType: NOTATION }));
  } else {
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [{ ...layoutEntry(sig), artifactType: NOTATION }],
      }),
    );
    const digest = blobs.put(index);
    entries.push({
      mediaType: OCI_INDEX,
      digest,
      size: index.length,
      annotations: { [REF_NAME]: image.digest.replace(":", "-") },
    });
  }
  const path = join(dir, name);
  await writeLayout(path, blobs, entries);
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cli-verify-notation-layout-"));
  store = join(dir, "notation-ca");
  await mkdir(store);
  await writeFile(join(store, "root.pem"), root.pem);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const verify = (path: string, identity = IDENTITY) =>
  runCaptured([
    "verify",
    `oci-layout:${path}@${image.digest}`,
    "--trust-store",
    store,
    "--trusted-identity",
    identity,
  ]);

describe("verify oci-layout: with Notation signatures", () => {
  it.each([
    ["listed in index.json with its subject", "index-json" as const],
    ["listed by the sha256-<hex> tag-schema index", "tag-schema" as const],
  ])("verifies a referrer %s, naming the identity", async (_, how) => {
    const r = await verify(await layout(how, how));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^VERIFIED by .*Acme Rockets/m);
  });

  it("does not verify for an identity the trust does not name", async () => {
    const r = await verify(
      await layout("other", "index-json"),
      "x509.subject: C=US, ST=WA, O=Someone Else",
    );
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(/^VERIFIED/m);
    expect(r.stdout).toContain("NOTATION_IDENTITY_MISMATCH");
  });
});
