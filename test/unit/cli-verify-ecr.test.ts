// `registry-guard verify` against Amazon ECR, the API mocked with aws-sdk-client-mock as ECR
// answers (BatchGetImage, ListImageReferrers, GetDownloadUrlForLayer) and the layer download
// served from memory: a tag resolved to its digest, a signature read and verified.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BatchGetImageCommand,
  type BatchGetImageCommandInput,
  ECRClient,
  GetDownloadUrlForLayerCommand,
  ListImageReferrersCommand,
} from "@aws-sdk/client-ecr";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { runCaptured } from "../../cli/run-captured.ts";
import {
  BlobStore,
  generateTestKey,
  imageManifest,
  legacySignature,
  legacySignatureManifest,
  signatureTag,
} from "../support/cosign-vectors.ts";

const REGISTRY_ID = "123456789012";
const REPO = "team-a/api";
const HOST = `${REGISTRY_ID}.dkr.ecr.eu-west-1.amazonaws.com`;
const key = generateTestKey("p256");
const ecr = mockClient(ECRClient);
const store = new BlobStore();
const image = imageManifest();
const manifests = new Map<string, string>();
const tags = new Map<string, string>();

let dir: string;
let pub: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cli-verify-ecr-"));
  pub = join(dir, "cosign.pub");
  await writeFile(pub, key.publicPem);
  manifests.set(image.digest, image.bytes.toString("utf8"));
  tags.set("v1", image.digest);
  // cosign sign --key, on ECR: the payload names the repository by its ECR URI.
  const sig = legacySignatureManifest(
    [legacySignature(key, { reference: `${HOST}/${REPO}`, digest: image.digest })],
    store,
  );
  manifests.set(sig.digest, sig.bytes.toString("utf8"));
  tags.set(signatureTag(image.digest), sig.digest);
});
afterAll(async () => {
  ecr.restore();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  // The SDK reads its region from the process environment, as it would in a shell.
  vi.stubEnv("AWS_REGION", "eu-west-1");
  ecr.reset();
  ecr.on(BatchGetImageCommand).callsFake((input: BatchGetImageCommandInput) => {
    const images = [];
    const failures = [];
    for (const id of input.imageIds ?? []) {
      const digest = id.imageDigest ?? tags.get(id.imageTag ?? "");
      const manifest = digest ? manifests.get(digest) : undefined;
      if (digest && manifest) {
        images.push({ imageId: { ...id, imageDigest: digest }, imageManifest: manifest });
      } else {
        failures.push({ imageId: id, failureCode: "ImageNotFound" as const });
      }
    }
    return { images, failures };
  });
  ecr.on(ListImageReferrersCommand).resolves({ referrers: [] });
  ecr.on(GetDownloadUrlForLayerCommand).callsFake((input: { layerDigest: string }) => ({
    downloadUrl: `https://layers.example.com/${input.layerDigest.slice(7)}`,
    layerDigest: input.layerDigest,
  }));
  vi.stubGlobal("fetch", async (url: string) => {
    const blob = store.blobs.get(`sha256:${new URL(url).pathname.slice(1)}`);
    return blob ? new Response(Buffer.from(blob)) : new Response("", { status: 404 });
  });
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.unstubAllEnvs();
});

const verify = (...args: string[]) => runCaptured(["verify", ...args]);

describe("verify on ECR", () => {
  it("resolves a tag to the digest of the bytes ECR returns, and verifies it", async () => {
    const r = await verify(
      `${REPO}:v1`,
      "--registry-id",
      REGISTRY_ID,
      "--key",
      pub,
      "--match-reference",
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe(`image ${HOST}/${REPO}@${image.digest} (tag v1)`);
    expect(r.stdout).toMatch(/VERIFIED by key .*cosign\.pub/);
    const byTag = ecr.commandCalls(BatchGetImageCommand)[0]?.args[0].input;
    expect(byTag).toMatchObject({
      registryId: REGISTRY_ID,
      repositoryName: REPO,
      imageIds: [{ imageTag: "v1" }],
    });
  });

  it("refuses a signature made for another repository with --match-reference", async () => {
    const r = await verify(`${HOST}/team-b/api@${image.digest}`, "--key", pub, "--match-reference");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `REFERENCE_MISMATCH: the signature was made for "${HOST}/${REPO}", not for ${HOST}/team-b/api`,
    );
  });

  it("exits 2 for a tag ECR does not have", async () => {
    const r = await verify(`${REPO}:v9`, "--key", pub);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${REPO}:v9: no such tag in ECR`);
  });

  it("exits 3 when ECR refuses the call", async () => {
    const denied = Object.assign(new Error("User is not authorized to perform ecr:BatchGetImage"), {
      name: "AccessDeniedException",
      $metadata: {},
    });
    ecr.on(BatchGetImageCommand).rejects(denied);
    const r = await verify(`${REPO}@${image.digest}`, "--key", pub);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("AccessDeniedException");
  });
});
