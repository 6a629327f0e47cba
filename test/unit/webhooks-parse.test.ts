import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EventParseError } from "../../shared/events/event-parse-error.ts";
import { parseWebhook, type WebhookKind } from "../../shared/events/parse-webhook.ts";

const FIXTURES = new URL("../fixtures/webhooks/", import.meta.url);
const opts = { registryHost: "registry.example.com" };

function fixture(path: string): unknown {
  return JSON.parse(readFileSync(new URL(path, FIXTURES), "utf8"));
}

function parseError(
  kind: WebhookKind,
  contentType: string | undefined,
  body: unknown,
): EventParseError {
  try {
    parseWebhook(kind, contentType, body, opts);
  } catch (err) {
    if (err instanceof EventParseError) return err;
    throw err;
  }
  throw new Error("expected an EventParseError, the webhook parsed");
}

const DISTRIBUTION = fixture("distribution/manifest-push-tagged.json");
const HARBOR_DEFAULT = fixture("harbor/default/push-artifact-tagged.json");
const HARBOR_CE = fixture("harbor/cloudevents/push-artifact.json");

describe("parseWebhook content types", () => {
  it.each([
    "application/vnd.docker.distribution.events.v1+json",
    "application/vnd.docker.distribution.events.v2+json",
    "application/vnd.docker.distribution.events.v1+json; charset=utf-8",
    "Application/VND.Docker.Distribution.Events.V1+JSON",
  ])("accepts a distribution envelope sent as %s", (ct) => {
    expect(parseWebhook("distribution", ct, DISTRIBUTION, opts)).toMatchObject([
      { kind: "image-pushed", image: { registryId: "registry.example.com", tags: ["latest"] } },
    ]);
  });

  it("accepts Harbor's Default format as application/json and CloudEvents as application/cloudevents+json", () => {
    expect(
      parseWebhook("harbor", "application/json; charset=utf-8", HARBOR_DEFAULT, opts),
    ).toMatchObject([{ kind: "image-pushed", source: "harbor" }]);
    expect(parseWebhook("harbor", "application/cloudevents+json", HARBOR_CE, opts)).toMatchObject([
      { kind: "image-pushed", source: "harbor" },
    ]);
  });

  it.each([
    ["distribution", undefined],
    ["distribution", ""],
    ["distribution", "application/json"],
    ["distribution", "text/plain"],
    ["harbor", undefined],
    ["harbor", "application/vnd.docker.distribution.events.v1+json"],
    ["harbor", "application/x-www-form-urlencoded"],
  ] as const)("refuses a %s webhook sent as %j, naming what is expected", (kind, ct) => {
    const body = kind === "distribution" ? DISTRIBUTION : HARBOR_DEFAULT;
    const err = parseError(kind, ct, body);
    expect(err.code).toBe("EVENT_UNKNOWN_TYPE");
    expect(err.path).toBe("content-type");
    expect(err.message).toContain(
      kind === "distribution"
        ? "application/vnd.docker.distribution.events.v1+json"
        : "application/cloudevents+json",
    );
  });

  it("refuses a Harbor body whose format does not match its content type", () => {
    const ceAsJson = parseError("harbor", "application/json", HARBOR_CE);
    expect(ceAsJson.code).toBe("EVENT_INVALID");
    expect(ceAsJson.path).toBe("specversion");
    expect(ceAsJson.message).toContain("application/cloudevents+json");
    const defaultAsCe = parseError("harbor", "application/cloudevents+json", HARBOR_DEFAULT);
    expect(defaultAsCe.code).toBe("EVENT_INVALID");
    expect(defaultAsCe.path).toBe("specversion");
  });

  it.each([null, 42, [], "{}"])(
    "refuses %j as a body with EVENT_NOT_OBJECT, for both kinds",
    (body) => {
      expect(
        parseError("distribution", "application/vnd.docker.distribution.events.v1+json", body).code,
      ).toBe("EVENT_NOT_OBJECT");
      expect(parseError("harbor", "application/json", body).code).toBe("EVENT_NOT_OBJECT");
    },
  );

  it("hints that a string body should be parsed first", () => {
    expect(parseError("harbor", "application/json", '{"type":"PUSH_ARTIFACT"}').message).toContain(
      "parse the JSON first",
    );
  });

  it("refuses a bad registryHost or kind as a configuration error, not bad input", () => {
    expect(() =>
      parseWebhook("harbor", "application/json", HARBOR_DEFAULT, { registryHost: "" }),
    ).toThrow(TypeError);
    expect(() =>
      parseWebhook("gitlab" as WebhookKind, "application/json", HARBOR_DEFAULT, opts),
    ).toThrow(TypeError);
  });
});
