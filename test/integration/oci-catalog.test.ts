import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { listRepositories, listTags } from "../../shared/adapters/oci/oci-catalog.ts";
import { OciClient } from "../../shared/adapters/oci/oci-client.ts";
import { tagsPointingAt } from "../../shared/adapters/oci/oci-image-tags.ts";
import { type LocalRegistry, startLocalRegistry } from "../support/local-registry.ts";
import { type PushTarget, pushImage, pushManifest } from "../support/oci-push.ts";

let reg: LocalRegistry;
let target: PushTarget;
let client: OciClient;
const REPOS = ["cat/a", "cat/b", "cat/c", "cat/d", "cat/e"];
const TAGS = ["t1", "t2", "t3", "t4", "t5"];

beforeAll(async () => {
  reg = await startLocalRegistry();
  target = { url: reg.url };
  client = new OciClient({ url: reg.url });
  for (const repo of REPOS) await pushImage(target, repo, { tags: repo === "cat/a" ? TAGS : [] });
});

afterAll(async () => {
  client?.close();
  await reg?.stop();
});

describe("catalog and tags", () => {
  it("follows the catalog's Link pagination with n=2 over 5 repositories", async () => {
    const send = vi.spyOn(client, "send");
    const repos = await listRepositories(client, { pageSize: 2 });
    expect(repos).toEqual(REPOS);
    const pages = send.mock.calls.map((c) => c[0].path);
    expect(pages).toEqual([
      "/v2/_catalog?n=2",
      "/v2/_catalog?last=cat%2Fb&n=2",
      "/v2/_catalog?last=cat%2Fd&n=2",
    ]);
    send.mockRestore();
  });

  it("lists every tag with n=2 (distribution 2.8 answers tags in one page)", async () => {
    const tags = await listTags(client, "cat/a", { pageSize: 2 });
    expect([...tags].sort()).toEqual(TAGS);
  });

  it("stops at maxPages rather than paging without end", async () => {
    await expect(listRepositories(client, { pageSize: 1, maxPages: 3 })).rejects.toMatchObject({
      code: "OCI_INVALID_RESPONSE",
    });
  });

  it("has no tags for a repository that does not exist", async () => {
    expect(await listTags(client, "cat/none")).toEqual([]);
  });

  it("finds the tags of a digest, capped, expected tags first", async () => {
    const img = await pushImage(target, "cat/many", { tags: ["a1", "a2", "a3"] });
    for (const t of ["b1", "b2", "b3"]) await pushImage(target, "cat/many", { tags: [t] });
    await pushManifest(target, "cat/many", "z9", img.manifest, img.mediaType);

    const all = await tagsPointingAt(client, "cat/many", img.digest);
    expect(all).toEqual({ tags: ["a1", "a2", "a3", "z9"], complete: true });

    const capped = await tagsPointingAt(client, "cat/many", img.digest, {
      expected: ["z9"],
      maxLookups: 2,
    });
    // z9 first because it was expected, then a1; the rest were not looked up.
    expect(capped).toEqual({ tags: ["a1", "z9"], complete: false });
  });
});
