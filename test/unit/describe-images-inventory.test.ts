import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  InventoryFileError,
  inventoriesFromDescribeImages,
} from "../../shared/adapters/ecr/describe-images-inventory.ts";

const dir = new URL("../fixtures/inventory/", import.meta.url);
const file = (name: string) => ({ name, text: readFileSync(new URL(name, dir), "utf8") });

const V1 = "sha256:786f685afbb7c1345d4fa2ed01af8b824d0d003cd5640e69b41e56af187da484";
const INDEX = "sha256:5387c48922f6298c01fa656bbf24b77d5a9af240dd97296af8734c3c5fcc717d";
const SIG = "sha256:762a69e977735e65b2a32d4694a8198f376b38185e3ac5de0415efa0fe141851";
const ARM = "sha256:1e29004db2eae8b006d1b6e6613bb5ad0209e5e4ad4ba3798ba9187e06f71eab";
const ARCHIVED = "sha256:988ddaab515c5d24ebdbe9a00a3de8661f4d3aef6bfc27e22c37318ab88aae99";
const WORKER_2 = "sha256:1ce9fa3f65c172f1dfe3dc4ceb81f824a79b4451b3da90e0b454ea7a6d4333bc";

function errorOf(fn: () => unknown): InventoryFileError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InventoryFileError) return err;
    throw err;
  }
  throw new Error("expected an InventoryFileError");
}

describe("inventoriesFromDescribeImages", () => {
  const all = () =>
    inventoriesFromDescribeImages(
      [
        file("describe-images-page2.json"),
        file("describe-images-cli-v1.json"),
        file("describe-images-page1.json"),
      ],
      { region: "eu-west-1" },
    );

  it("groups records by repository, sorted, with offline flags", () => {
    const inv = all();
    expect(inv.map((i) => i.repository)).toEqual(["team-a/api", "team-b/worker"]);
    for (const i of inv) {
      expect(i).toMatchObject({
        registry: "ecr",
        registryId: "123456789012",
        region: "eu-west-1",
        manifestsKnown: false,
        pullTimesKnown: true,
      });
      const digests = i.artifacts.map((a) => a.digest);
      expect(digests).toEqual([...digests].sort());
    }
    expect(inv[0]?.artifacts).toHaveLength(6);
    expect(inv[1]?.artifacts).toHaveLength(2);
  });

  it("knows every placement only when the repository holds no index and every media type is named", () => {
    const record = (n: number, mediaType?: string) => ({
      registryId: "123456789012",
      repositoryName: "solo/app",
      imageDigest: `sha256:${String(n).repeat(64).slice(0, 64)}`,
      imagePushedAt: "2024-05-01T10:00:00+00:00",
      ...(mediaType ? { imageManifestMediaType: mediaType } : {}),
    });
    const known = (...records: object[]) =>
      inventoriesFromDescribeImages([
        { name: "x.json", text: JSON.stringify({ imageDetails: records }) },
      ])[0]?.manifestsKnown;
    const image = "application/vnd.oci.image.manifest.v1+json";
    expect(known(record(1, image), record(2, image))).toBe(true);
    expect(known(record(1, image), record(3, "application/vnd.oci.image.index.v1+json"))).toBe(
      false,
    );
    expect(known(record(1, image), record(4))).toBe(false);
  });

  it("merges a digest listed in two files: tags unioned, the latest pull kept", () => {
    const api = all()[0];
    const v1 = api?.artifacts.find((a) => a.digest === V1);
    expect(v1).toEqual({
      digest: V1,
      tags: ["stable", "v1.0.0"],
      pushedAt: "2024-03-01T08:15:27.412Z",
      lastPulledAt: "2024-05-22T07:00:00.000Z",
      sizeBytes: 48318255,
      mediaType: "application/vnd.docker.distribution.manifest.v2+json",
    });
  });

  it("maps ISO offsets and CLI v1 epoch seconds to UTC ISO times; no pull time means never", () => {
    const [api, worker] = all();
    expect(api?.artifacts.find((a) => a.digest === ARM)).toMatchObject({
      tags: [],
      pushedAt: "2024-05-02T09:59:58.000Z",
      lastPulledAt: null,
    });
    expect(worker?.artifacts.find((a) => a.digest === WORKER_2)).toMatchObject({
      pushedAt: "2024-01-24T12:00:00.000Z",
      lastPulledAt: "2024-05-22T08:00:00.500Z",
    });
  });

  it("keeps index media types, referrer subjects, artifact types and the archive as quarantine", () => {
    const api = all()[0];
    const by = (d: string) => api?.artifacts.find((a) => a.digest === d);
    expect(by(INDEX)).toMatchObject({
      mediaType: "application/vnd.oci.image.index.v1+json",
      tags: ["latest", "v2.0.0"],
    });
    expect(by(INDEX)?.children).toBeUndefined();
    expect(by(SIG)).toMatchObject({
      subject: INDEX,
      artifactType: "application/vnd.dev.cosign.artifact.sig.v1+json",
    });
    expect(by(ARM)?.artifactType).toBeUndefined();
    expect(by(ARCHIVED)).toMatchObject({
      quarantined: true,
      quarantinedAt: "2024-04-11T16:52:03.000Z",
    });
    expect(by(V1)?.quarantined).toBeUndefined();
  });

  it("does not depend on the order of the files", () => {
    const reversed = inventoriesFromDescribeImages(
      [
        file("describe-images-page1.json"),
        file("describe-images-cli-v1.json"),
        file("describe-images-page2.json"),
      ],
      { region: "eu-west-1" },
    );
    expect(reversed).toEqual(all());
  });

  it("names the file, record and field of a bad timestamp", () => {
    const err = errorOf(() =>
      inventoriesFromDescribeImages([file("describe-images-bad-date.json")]),
    );
    expect(err.code).toBe("INVENTORY_INVALID");
    expect(err.record).toBe(1);
    expect(err.field).toBe("imageDetails[1].imagePushedAt");
    expect(err.message).toBe(
      "describe-images-bad-date.json: imageDetails[1].imagePushedAt: expected an ISO date-time (or epoch seconds)",
    );
  });

  it.each([
    [{ repositoryName: "r", imageDigest: "sha256:abc" }, "imageDetails[0].imageDigest"],
    [{ imageDigest: V1 }, "imageDetails[0].repositoryName"],
    [{ repositoryName: "r", imageDigest: V1, imageTags: "latest" }, "imageDetails[0].imageTags"],
    [
      { repositoryName: "r", imageDigest: V1, imageSizeInBytes: "12" },
      "imageDetails[0].imageSizeInBytes",
    ],
    [{ repositoryName: "r", imageDigest: V1, imageStatus: "GONE" }, "imageDetails[0].imageStatus"],
    [
      { repositoryName: "r", imageDigest: V1, lastRecordedPullTime: "2024-05-01" },
      "imageDetails[0].lastRecordedPullTime",
    ],
  ])("rejects %j at %s", (record, field) => {
    const text = JSON.stringify({ imageDetails: [record] });
    const err = errorOf(() =>
      inventoriesFromDescribeImages([{ name: "x.json", text }], { registryId: "123456789012" }),
    );
    expect(err).toMatchObject({ code: "INVENTORY_INVALID", file: "x.json", record: 0, field });
    expect(err.message.startsWith(`x.json: ${field}: `)).toBe(true);
  });

  it("rejects text that is not JSON, and JSON that is not describe-images output", () => {
    expect(
      errorOf(() => inventoriesFromDescribeImages([{ name: "a.json", text: "{" }])),
    ).toMatchObject({ code: "INVENTORY_NOT_JSON", file: "a.json" });
    const shape = errorOf(() =>
      inventoriesFromDescribeImages([{ name: "b.json", text: '{"images": []}' }]),
    );
    expect(shape).toMatchObject({ code: "INVENTORY_INVALID", field: "imageDetails" });
  });

  it("takes the registry id from the option when records carry none, and refuses a contradiction", () => {
    const text = JSON.stringify({ imageDetails: [{ repositoryName: "r", imageDigest: V1 }] });
    expect(
      inventoriesFromDescribeImages([{ name: "c.json", text }], { registryId: "210987654321" })[0]
        ?.registryId,
    ).toBe("210987654321");
    expect(errorOf(() => inventoriesFromDescribeImages([{ name: "c.json", text }]))).toMatchObject({
      code: "INVENTORY_REGISTRY_ID",
      field: "imageDetails[0].registryId",
    });
    expect(
      errorOf(() =>
        inventoriesFromDescribeImages([file("describe-images-cli-v1.json")], {
          registryId: "210987654321",
        }),
      ),
    ).toMatchObject({ code: "INVENTORY_REGISTRY_ID" });
  });

  it("property: splitting records across files in any way gives the same inventories", () => {
    const digest = fc
      .uint8Array({ minLength: 32, maxLength: 32 })
      .map((b) => `sha256:${Buffer.from(b).toString("hex")}`);
    const record = fc.record({
      repositoryName: fc.constantFrom("a", "b/c"),
      imageDigest: fc.oneof(digest, fc.constant(V1)),
      imageTags: fc.uniqueArray(fc.constantFrom("x", "y", "z"), { maxLength: 3 }),
      imagePushedAt: fc.integer({ min: 1_500_000_000, max: 1_800_000_000 }),
    });
    fc.assert(
      fc.property(
        fc.array(record, { minLength: 1, maxLength: 30 }),
        fc.array(fc.nat(3)),
        (records, cuts) => {
          // The same digest pushed once: one push time per digest, as ECR reports it.
          const pushed = new Map<string, number>();
          const fixed = records.map((r) => {
            const at = pushed.get(`${r.repositoryName}/${r.imageDigest}`) ?? r.imagePushedAt;
            pushed.set(`${r.repositoryName}/${r.imageDigest}`, at);
            return { ...r, imagePushedAt: at };
          });
          const files: { name: string; text: string }[] = [[], [], [], []].map((_, i) => ({
            name: `${i}.json`,
            text: JSON.stringify({
              imageDetails: fixed.filter((_, j) => (cuts[j] ?? 0) === i),
            }),
          }));
          const one = inventoriesFromDescribeImages(
            [{ name: "all.json", text: JSON.stringify({ imageDetails: fixed }) }],
            { registryId: "123456789012" },
          );
          const split = inventoriesFromDescribeImages(files, { registryId: "123456789012" });
          expect(split).toEqual(one);
          for (const inv of one) {
            for (const a of inv.artifacts) {
              const tags = fixed
                .filter((r) => r.repositoryName === inv.repository && r.imageDigest === a.digest)
                .flatMap((r) => r.imageTags);
              expect(a.tags).toEqual([...new Set(tags)].sort());
            }
          }
        },
      ),
    );
  });
});
