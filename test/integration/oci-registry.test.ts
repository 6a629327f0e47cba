import { readFile, writeFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OciRegistryError } from "../../shared/adapters/oci/oci-errors.ts";
import { getManifest, putManifest } from "../../shared/adapters/oci/oci-manifest.ts";
import { OciRegistry } from "../../shared/adapters/oci/oci-registry.ts";
import { DigestMismatchError } from "../../shared/domain/digest-mismatch-error.ts";
import type { ImageRef } from "../../shared/domain/image.ts";
import type { Log } from "../../shared/ports.ts";
import { type LocalRegistry, startLocalRegistry } from "../support/local-registry.ts";
import {
  listedTags,
  type PushedImage,
  type PushTarget,
  pullStatus,
  pushImage,
  pushIndex,
} from "../support/oci-push.ts";

let reg: LocalRegistry;
let target: PushTarget;
let registry: OciRegistry;
const logged: { level: string; message: string; extra: unknown[] }[] = [];
const log: Log = {
  debug: (message, ...extra) => logged.push({ level: "debug", message, extra }),
  info: (message, ...extra) => logged.push({ level: "info", message, extra }),
  warn: (message, ...extra) => logged.push({ level: "warn", message, extra }),
  error: (message, ...extra) => logged.push({ level: "error", message, extra }),
};

beforeAll(async () => {
  reg = await startLocalRegistry();
  target = { url: reg.url };
  registry = new OciRegistry({ url: reg.url, log });
});

afterAll(async () => {
  registry?.close();
  await reg?.stop();
});

function refOf(img: Pick<PushedImage, "repository" | "digest">, tags: string[] = []): ImageRef {
  return {
    registry: "oci",
    registryId: reg.host,
    repository: img.repository,
    digest: img.digest,
    tags,
  };
}

describe("OciRegistry.resolveImage", () => {
  it("computes the digest from the manifest bytes and lists the tags pointing at it", async () => {
    const img = await pushImage(target, "team/api", { tags: ["v1", "latest"] });
    await pushImage(target, "team/api", { tags: ["v2"] }); // another image, another tag

    const resolved = await registry.resolveImage(refOf(img));

    expect(registry.registryId).toBe(reg.host);
    expect(resolved).not.toBeNull();
    expect(resolved?.ref.digest).toBe(img.digest);
    expect(resolved?.ref.tags).toEqual(["latest", "v1"]);
    expect(resolved?.quarantined).toBe(false);
    expect(resolved?.mediaType).toBe("application/vnd.oci.image.manifest.v1+json");
    expect(resolved?.sizeBytes).toBe(img.config.size + (img.layers[0]?.size ?? 0));
    expect(resolved?.pushedAt).toBeUndefined();
  });

  it("returns null for a digest the registry does not have", async () => {
    const img = await pushImage(target, "team/absent");
    const other = { ...img, digest: `sha256:${"0".repeat(64)}` };
    expect(await registry.resolveImage(refOf(other))).toBeNull();
  });

  it("refuses bytes that do not hash to the digest (the stored manifest was tampered with)", async () => {
    const img = await pushImage(target, "team/tampered", { tags: ["v1"] });
    const path = reg.blobDataPath(img.digest);
    const original = await readFile(path, "utf8");
    await writeFile(path, original.replace('"schemaVersion":2', '"schemaVersion": 2'));

    const err = await registry.resolveImage(refOf(img)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DigestMismatchError);
    expect((err as DigestMismatchError).expected).toBe(img.digest);
    expect((err as DigestMismatchError).computed).not.toBe(img.digest);
    // And nothing is moved on such an image.
    await expect(registry.quarantine(refOf(img))).rejects.toBeInstanceOf(DigestMismatchError);
    expect(await pullStatus(target, "team/tampered", "v1")).toBe(200);
  });

  it("refuses an image of another registry", async () => {
    const img = await pushImage(target, "team/elsewhere");
    const ref = { ...refOf(img), registryId: "ghcr.io" };
    const err = await registry.resolveImage(ref).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OciRegistryError);
    expect((err as OciRegistryError).code).toBe("OCI_WRONG_REGISTRY");
  });
});

describe("OciRegistry.quarantine and release", () => {
  it("makes the image unpullable by tag and by digest, keeps it with its tags, and releases it", async () => {
    const img = await pushImage(target, "shop/web", { tags: ["v1", "stable"] });
    const other = await pushImage(target, "shop/web", { tags: ["v2"] });
    const ref = refOf(img, ["v1"]);

    expect(await registry.quarantine(ref)).toEqual({ alreadyQuarantined: false });

    expect(await pullStatus(target, "shop/web", "v1")).toBe(404);
    expect(await pullStatus(target, "shop/web", "stable")).toBe(404);
    expect(await pullStatus(target, "shop/web", img.digest)).toBe(404);
    // The other image is untouched.
    expect(await pullStatus(target, "shop/web", "v2")).toBe(200);
    expect(await pullStatus(target, "shop/web", other.digest)).toBe(200);
    // The copy is intact, byte for byte, with the original tags.
    const copy = await getManifest(registry.client, "quarantine/shop/web", img.digest);
    expect(copy?.bytes.equals(img.manifest)).toBe(true);
    expect(await listedTags(target, "quarantine/shop/web")).toEqual(["stable", "v1"]);
    for (const blob of [img.config, ...img.layers]) {
      const res = await fetch(`${reg.url}/v2/quarantine/shop/web/blobs/${blob.digest}`);
      expect(res.status).toBe(200);
    }

    const resolved = await registry.resolveImage(ref);
    expect(resolved?.quarantined).toBe(true);
    expect(resolved?.ref.tags).toEqual(["stable", "v1"]);

    // Idempotent.
    expect(await registry.quarantine(ref)).toEqual({ alreadyQuarantined: true });

    expect(await registry.release(ref)).toEqual({ wasQuarantined: true });
    expect(await pullStatus(target, "shop/web", "v1")).toBe(200);
    expect(await pullStatus(target, "shop/web", "stable")).toBe(200);
    expect(await pullStatus(target, "shop/web", img.digest)).toBe(200);
    expect(await pullStatus(target, "quarantine/shop/web", img.digest)).toBe(404);
    const back = await registry.resolveImage(ref);
    expect(back?.quarantined).toBe(false);
    expect(back?.ref.digest).toBe(img.digest);
    expect(back?.ref.tags).toEqual(["stable", "v1"]);

    expect(await registry.release(ref)).toEqual({ wasQuarantined: false });
  });

  it("completes a quarantine interrupted after the copy (source still present)", async () => {
    const img = await pushImage(target, "shop/cart", { tags: ["v3"] });
    // The first step only: the copy into quarantine, as a crash right after it leaves things.
    const manifest = await getManifest(registry.client, "shop/cart", img.digest);
    if (!manifest) throw new Error("pushed image not found");
    await fetch(
      `${reg.url}/v2/quarantine/shop/cart/blobs/uploads/?mount=${img.layers[0]?.digest}&from=shop/cart`,
      { method: "POST" },
    );
    expect(await pullStatus(target, "shop/cart", "v3")).toBe(200);

    // Half-copied: one blob mounted, no manifest yet. Then retry the whole quarantine.
    expect(await registry.quarantine(refOf(img))).toEqual({ alreadyQuarantined: false });
    expect(await pullStatus(target, "shop/cart", "v3")).toBe(404);
    expect(await pullStatus(target, "shop/cart", img.digest)).toBe(404);
    expect(await pullStatus(target, "quarantine/shop/cart", "v3")).toBe(200);

    // Copy complete but the delete never happened.
    const img2 = await pushImage(target, "shop/cart", { tags: ["v4"] });
    const m2 = await getManifest(registry.client, "shop/cart", img2.digest);
    if (!m2) throw new Error("pushed image not found");
    for (const blob of [img2.config, ...img2.layers]) {
      await fetch(
        `${reg.url}/v2/quarantine/shop/cart/blobs/uploads/?mount=${blob.digest}&from=shop/cart`,
        { method: "POST" },
      );
    }
    await putManifest(registry.client, "quarantine/shop/cart", img2.digest, m2);
    await putManifest(registry.client, "quarantine/shop/cart", "v4", m2);
    expect(await registry.quarantine(refOf(img2))).toEqual({ alreadyQuarantined: false });
    expect(await pullStatus(target, "shop/cart", img2.digest)).toBe(404);
    expect(await pullStatus(target, "quarantine/shop/cart", "v4")).toBe(200);
  });

  it("quarantines a multi-platform index with its child manifests, and releases them", async () => {
    const idx = await pushIndex(target, "shop/multi", { tags: ["1.0"] });
    const ref = refOf(idx);

    expect(await registry.quarantine(ref)).toEqual({ alreadyQuarantined: false });

    expect(await pullStatus(target, "shop/multi", "1.0")).toBe(404);
    expect(await pullStatus(target, "shop/multi", idx.digest)).toBe(404);
    for (const child of idx.children) {
      expect(await pullStatus(target, "shop/multi", child.digest)).toBe(404);
      expect(await pullStatus(target, "quarantine/shop/multi", child.digest)).toBe(200);
    }
    expect(await pullStatus(target, "quarantine/shop/multi", "1.0")).toBe(200);
    const resolved = await registry.resolveImage(ref);
    expect(resolved?.quarantined).toBe(true);
    expect(resolved?.mediaType).toBe("application/vnd.oci.image.index.v1+json");
    expect(resolved?.sizeBytes).toBeUndefined();

    expect(await registry.release(ref)).toEqual({ wasQuarantined: true });
    expect(await pullStatus(target, "shop/multi", "1.0")).toBe(200);
    for (const child of idx.children) {
      expect(await pullStatus(target, "shop/multi", child.digest)).toBe(200);
      expect(await pullStatus(target, "quarantine/shop/multi", child.digest)).toBe(404);
    }
  });

  it("finishes an index quarantine interrupted before its children were deleted", async () => {
    const idx = await pushIndex(target, "shop/multi2", { tags: ["2.0"] });
    expect(await registry.quarantine(refOf(idx))).toEqual({ alreadyQuarantined: false });
    // Simulate the crash: the children are back in the source, as before their deletion.
    for (const child of idx.children) {
      const m = await getManifest(registry.client, "quarantine/shop/multi2", child.digest);
      if (!m) throw new Error("child missing in quarantine");
      await putManifest(registry.client, "shop/multi2", child.digest, m);
    }
    expect(await pullStatus(target, "shop/multi2", idx.children[0]?.digest ?? "")).toBe(200);

    expect(await registry.quarantine(refOf(idx))).toEqual({ alreadyQuarantined: false });
    for (const child of idx.children) {
      expect(await pullStatus(target, "shop/multi2", child.digest)).toBe(404);
    }
    expect(await registry.quarantine(refOf(idx))).toEqual({ alreadyQuarantined: true });
  });

  it("does not move back a tag that meanwhile names a newer image", async () => {
    const old = await pushImage(target, "shop/api", { tags: ["prod", "old"] });
    await registry.quarantine(refOf(old));
    const fresh = await pushImage(target, "shop/api", { tags: ["prod"] });

    expect(await registry.release(refOf(old))).toEqual({ wasQuarantined: true });

    const prod = await getManifest(registry.client, "shop/api", "prod");
    expect(prod?.digest).toBe(fresh.digest);
    expect(await pullStatus(target, "shop/api", "old")).toBe(200);
    expect(await pullStatus(target, "shop/api", old.digest)).toBe(200);
    expect(logged.some((l) => l.level === "warn" && l.message.includes("not restored"))).toBe(true);
  });

  it("throws OCI_IMAGE_NOT_FOUND for an image that is nowhere", async () => {
    const img = await pushImage(target, "shop/gone");
    const ref = { ...refOf(img), digest: `sha256:${"1".repeat(64)}` };
    await expect(registry.quarantine(ref)).rejects.toMatchObject({ code: "OCI_IMAGE_NOT_FOUND" });
    await expect(registry.release(ref)).rejects.toMatchObject({ code: "OCI_IMAGE_NOT_FOUND" });
  });

  it("uses a configured quarantine repository template", async () => {
    const custom = new OciRegistry({ url: reg.url, quarantineRepository: "{repository}-held" });
    try {
      const img = await pushImage(target, "shop/tpl", { tags: ["x"] });
      await custom.quarantine(refOf(img));
      expect(await pullStatus(target, "shop/tpl-held", "x")).toBe(200);
      expect(await pullStatus(target, "shop/tpl", "x")).toBe(404);
      expect(custom.quarantineRepositories.isQuarantine("shop/tpl-held")).toBe(true);
    } finally {
      custom.close();
    }
  });
});
