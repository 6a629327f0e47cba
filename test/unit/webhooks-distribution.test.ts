import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseDistributionEnvelope } from "../../shared/events/distribution-envelope.ts";

const FIXTURES = new URL("../fixtures/webhooks/distribution/", import.meta.url);
const HOST = "registry.internal:5000";

type Json = Record<string, unknown>;
type Entry = { id: string; action: string; target: Json; actor?: Json; request?: Json };

function fixture(name: string): { events: Entry[] } {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8"));
}

function parse(body: unknown) {
  return parseDistributionEnvelope(body, { registryHost: HOST });
}

/** One entry of a fixture, changed by `edit`, alone in an envelope. */
function single(name: string, edit: (e: Entry) => void = () => {}) {
  const env = fixture(name);
  const entry = env.events[0] as Entry;
  edit(entry);
  return { events: [entry] };
}

const HELLO = "sha256:fea8895f450959fa676bcc1df0611ea93823a735a01205fd8622846041d0c7cf";

describe("distribution notifications from the documentation", () => {
  it("turns the documented envelope into one event per entry, in order", () => {
    const out = parse(fixture("envelope-docs.json"));
    expect(out).toEqual([
      {
        kind: "image-pushed",
        eventId: "asdf-asdf-asdf-asdf-0",
        time: "2006-01-02T15:04:05Z",
        source: "distribution",
        principal: "test-actor",
        image: {
          registry: "oci",
          registryId: HOST,
          repository: "library/test",
          digest: HELLO,
          tags: [],
        },
        mediaType: "application/vnd.docker.distribution.manifest.v2+json",
      },
      {
        kind: "ignored",
        eventId: "asdf-asdf-asdf-asdf-1",
        source: "distribution",
        reason: expect.stringContaining("push of a blob"),
      },
      {
        kind: "ignored",
        eventId: "asdf-asdf-asdf-asdf-2",
        source: "distribution",
        reason: expect.stringContaining(
          "application/vnd.docker.container.image.rootfs.diff+x-gtar",
        ),
      },
    ]);
  });

  it("ignores the documented manifest pull", () => {
    expect(parse(fixture("manifest-pull.json"))).toEqual([
      {
        kind: "ignored",
        eventId: "320678d8-ca14-430f-8bb6-4ca139cd83f7",
        source: "distribution",
        reason: "distribution pulls are not acted on",
      },
    ]);
  });

  it("keeps the tag of a push by tag, and the time as the registry wrote it", () => {
    expect(parse(fixture("manifest-push-tagged.json"))).toEqual([
      {
        kind: "image-pushed",
        eventId: "8b2f1c0e-5d4a-4e61-9a53-2f7c9d1e4b80",
        time: "2016-03-09T14:44:26.402973972-08:00",
        source: "distribution",
        principal: "ci-bot",
        image: {
          registry: "oci",
          registryId: HOST,
          repository: "hello-world",
          digest: HELLO,
          tags: ["latest"],
        },
        mediaType: "application/vnd.docker.distribution.manifest.v2+json",
      },
    ]);
  });

  it("turns a delete by digest (no media type) into image-deleted", () => {
    expect(parse(fixture("manifest-delete.json"))).toEqual([
      {
        kind: "image-deleted",
        eventId: "6f0c3a9e-2b7d-4d1a-8e55-91c4b7a2d3f6",
        time: "2016-03-09T15:02:11.118052031-08:00",
        source: "distribution",
        principal: "admin",
        image: {
          registry: "oci",
          registryId: HOST,
          repository: "library/test",
          digest: "sha256:d89e1bee20d9cb344674e213b581f14fbd8e70274ecf9d10c514bab78a307845",
          tags: [],
        },
      },
    ]);
  });

  it("ignores a tag delete: the manifest stays", () => {
    const [ev] = parse(fixture("tag-delete.json"));
    expect(ev).toEqual({
      kind: "ignored",
      eventId: "c5d1e2f3-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
      source: "distribution",
      reason: expect.stringContaining("tag deleted"),
    });
  });

  it("turns a push tagged sha256-<hex>.sig into referrer-pushed of that subject", () => {
    expect(parse(fixture("cosign-signature-push.json"))).toEqual([
      {
        kind: "referrer-pushed",
        eventId: "e7a4c2b1-9d8f-4e3a-b6c5-1f2e3d4c5b6a",
        time: "2016-03-09T14:44:26.402973972-08:00",
        source: "distribution",
        principal: "ci-bot",
        image: {
          registry: "oci",
          registryId: HOST,
          repository: "hello-world",
          digest: "sha256:2c39bdf1854ced6871b52452cbe8833edda34c7f299583567b400cecf2998837",
          tags: [`sha256-${HELLO.slice(7)}.sig`],
        },
        subjectDigest: HELLO,
      },
    ]);
  });

  it("ignores a 3.x blob mount and keeps an index pushed by digest", () => {
    const [mount, index] = parse(fixture("v3-mount-and-index-push.json"));
    expect(mount).toMatchObject({ kind: "ignored", reason: expect.stringContaining("mount") });
    expect(index).toEqual({
      kind: "image-pushed",
      eventId: "2e8f4a5b-7c3d-4e9f-8a1b-c2d3e4f5a6b7",
      time: "2024-05-08T20:44:55.987654321Z",
      source: "distribution",
      principal: "ci-bot",
      image: {
        registry: "oci",
        registryId: HOST,
        repository: "team/app",
        digest: "sha256:954b378c375d852eb3c63ab88978f640b4348b01c1b3456a024a81536dafbbf4",
        tags: [],
      },
      mediaType: "application/vnd.oci.image.index.v1+json",
    });
  });
});

describe("distribution: identity and edge cases", () => {
  it("takes the registry from our configuration, never from the request or the url", () => {
    const body = single("manifest-push-tagged.json", (e) => {
      (e.request as Json).host = "evil.example.com";
      e.target.url = "https://evil.example.com/v2/hello-world/manifests/latest";
    });
    const [ev] = parseDistributionEnvelope(body, { registryHost: "registry.example.com" });
    expect(ev?.kind === "image-pushed" && ev.image.registryId).toBe("registry.example.com");
  });

  it("has no principal for an anonymous actor ({}) or an absent one", () => {
    for (const actor of [{}, undefined, { name: "" }]) {
      const [ev] = parse(
        single("manifest-push-tagged.json", (e) => {
          if (actor === undefined) delete e.actor;
          else e.actor = actor;
        }),
      );
      expect(ev).not.toHaveProperty("principal");
      expect(ev?.kind).toBe("image-pushed");
    }
  });

  it("recognises every manifest and index media type, parameters and case aside", () => {
    for (const mt of [
      "application/vnd.oci.image.manifest.v1+json",
      "application/vnd.oci.image.index.v1+json",
      "application/vnd.docker.distribution.manifest.list.v2+json",
      "application/vnd.docker.distribution.manifest.v1+prettyjws",
      "Application/VND.OCI.Image.Manifest.v1+json; charset=utf-8",
    ]) {
      const [ev] = parse(
        single("manifest-push-tagged.json", (e) => {
          e.target.mediaType = mt;
        }),
      );
      expect(ev).toMatchObject({ kind: "image-pushed", mediaType: mt });
    }
  });

  it("ignores pushes of configs and layers, and a push without a media type", () => {
    for (const mt of [
      "application/vnd.oci.image.config.v1+json",
      "application/vnd.oci.image.layer.v1.tar+gzip",
      "application/octet-stream",
      undefined,
    ]) {
      const [ev] = parse(
        single("manifest-push-tagged.json", (e) => {
          if (mt === undefined) delete e.target.mediaType;
          else e.target.mediaType = mt;
        }),
      );
      expect(ev?.kind).toBe("ignored");
    }
  });

  it("ignores a delete whose media type says blob, and a repository delete", () => {
    const blob = single("manifest-delete.json", (e) => {
      e.target.mediaType = "application/vnd.oci.image.layer.v1.tar+gzip";
    });
    expect(parse(blob)[0]).toMatchObject({
      kind: "ignored",
      reason: expect.stringContaining("blob"),
    });
    const repo = single("manifest-delete.json", (e) => void delete e.target.digest);
    expect(parse(repo)[0]).toMatchObject({
      kind: "ignored",
      reason: expect.stringContaining("repository deleted"),
    });
  });

  it("ignores an unknown action with the action in the reason", () => {
    const [ev] = parse(
      single("manifest-push-tagged.json", (e) => {
        e.action = "replicate";
      }),
    );
    expect(ev).toMatchObject({ kind: "ignored", reason: expect.stringContaining('"replicate"') });
  });

  it("treats an empty tag as no tag", () => {
    const [ev] = parse(
      single("manifest-push-tagged.json", (e) => {
        e.target.tag = "";
      }),
    );
    expect(ev?.kind === "image-pushed" && ev.image.tags).toEqual([]);
  });

  it("turns an empty envelope into no events", () => {
    expect(parse({ events: [] })).toEqual([]);
  });

  it("refuses a registryHost that is not host[:port], as a configuration error", () => {
    for (const host of ["", "https://registry.example.com", "registry.example.com/path", "a b"]) {
      expect(() => parseDistributionEnvelope({ events: [] }, { registryHost: host })).toThrow(
        TypeError,
      );
    }
    for (const host of ["localhost", "localhost:5000", "10.0.0.1:443", "[::1]:5000"]) {
      expect(parseDistributionEnvelope({ events: [] }, { registryHost: host })).toEqual([]);
    }
  });
});
