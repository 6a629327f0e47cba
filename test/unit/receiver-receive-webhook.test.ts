import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MemoryAuditLog } from "../../shared/adapters/memory/memory-audit-log.ts";
import { MemoryRegistry } from "../../shared/adapters/memory/memory-registry.ts";
import { type ImageRef, imageKey } from "../../shared/domain/image.ts";
import { loadPolicy } from "../../shared/domain/policy-load.ts";
import type { PipelineDeps } from "../../shared/pipeline/pipeline-deps.ts";
import type { Alert, Log } from "../../shared/ports.ts";
import { type ReceiverMetric, receiveWebhook } from "../../shared/receiver/receive-webhook.ts";
import type { ReceiverConfig, WebhookRequest } from "../../shared/receiver/webhook-request.ts";

const SECRET = "receive-webhook-test-secret-0123";
const HOST = "registry.example.com:5000";
const cfg: ReceiverConfig = { secret: SECRET, registryHost: HOST, maxBodyBytes: 65536 };
const TYPE = "application/vnd.docker.distribution.events.v1+json";
const fixture = JSON.parse(
  readFileSync(
    new URL("../fixtures/webhooks/distribution/manifest-push-tagged.json", import.meta.url),
    "utf8",
  ),
);

const digestOf = (n: number) => `sha256:${n.toString(16).padStart(64, "a")}`;
const ref = (n: number): ImageRef => ({
  registry: "oci",
  registryId: HOST,
  repository: "team/app",
  digest: digestOf(n),
  tags: [],
});

/** A distribution envelope announcing manifest pushes of images 1..n. */
function envelope(images: number[]): string {
  const events = images.map((n) => {
    const e = structuredClone(fixture.events[0]);
    e.id = `event-${n}`;
    e.target.repository = "team/app";
    e.target.digest = digestOf(n);
    delete e.target.tag;
    return e;
  });
  return JSON.stringify({ events });
}

function request(body: string, authorization = `Bearer ${SECRET}`): WebhookRequest {
  return {
    method: "POST",
    path: "/webhooks/distribution",
    headers: { authorization, "content-type": TYPE },
    body: Buffer.from(body),
  };
}

function world() {
  const lines: string[] = [];
  const log: Log = {
    debug: (m, ...x) => lines.push(JSON.stringify([m, ...x])),
    info: (m, ...x) => lines.push(JSON.stringify([m, ...x])),
    warn: (m, ...x) => lines.push(JSON.stringify([m, ...x])),
    error: (m, ...x) => lines.push(JSON.stringify([m, ...x])),
  };
  const registry = new MemoryRegistry("oci");
  const clock = () => new Date("2024-06-01T12:00:00Z");
  const audit = new MemoryAuditLog({ clock });
  const alerts: Alert[] = [];
  const deps: PipelineDeps = {
    registry,
    audit,
    alerts: {
      publish: async (a) => {
        alerts.push(a);
        return {};
      },
    },
    policy: loadPolicy("version: 1\n", "test.yaml"),
    clock,
    log,
  };
  const metrics: ReceiverMetric[] = [];
  const count = (m: ReceiverMetric) => metrics.push(m);
  return { deps, registry, audit, lines, metrics, count };
}

describe("receiveWebhook", () => {
  it("runs each accepted event through the pipeline, in order, and answers 202", async () => {
    const w = world();
    for (const n of [1, 2])
      w.registry.add(ref(n), { status: "NONE", scanner: "none", findings: [] });
    const r = await receiveWebhook(request(envelope([1, 2])), cfg, w.deps, w.count);
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ accepted: 2, ignored: 0 });
    for (const n of [1, 2]) {
      const records = await w.audit.byImage(imageKey(ref(n)));
      expect(records.map((x) => [x.eventId, x.action])).toEqual([[`event-${n}`, "event-received"]]);
    }
    expect(w.metrics).toEqual(["WebhookEventHandled", "WebhookEventHandled", "WebhookAccepted"]);
  });

  it("answers 500 when the pipeline fails, and a redelivery repeats only what did not complete", async () => {
    const w = world();
    w.registry.add(ref(1), { status: "NONE", scanner: "none", findings: [] });
    w.registry.add(ref(2), { status: "NONE", scanner: "none", findings: [] });
    const resolve = w.registry.resolveImage.bind(w.registry);
    let down = true;
    w.registry.resolveImage = async (r) => {
      if (down && r.digest === digestOf(2)) {
        throw Object.assign(new Error("connect ECONNREFUSED"), { code: "OCI_UNAVAILABLE" });
      }
      return resolve(r);
    };
    const body = envelope([1, 2]);
    const first = await receiveWebhook(request(body), cfg, w.deps, w.count);
    expect(first.status).toBe(500);
    expect(first.body).toMatchObject({ ok: false, code: "WEBHOOK_PIPELINE_FAILED" });
    expect(first.body.message).toContain("event-2");
    expect(first.body.message).toContain("OCI_UNAVAILABLE");
    expect(first.events).toEqual([]);
    expect(w.metrics).toContain("WebhookPipelineFailed");
    expect(await w.audit.byImage(imageKey(ref(2)))).toEqual([]);

    down = false;
    const again = await receiveWebhook(request(body), cfg, w.deps, w.count);
    expect(again.status).toBe(202);
    expect(await w.audit.byImage(imageKey(ref(1)))).toHaveLength(1);
    expect(await w.audit.byImage(imageKey(ref(2)))).toHaveLength(1);
  });

  it.each([
    [request("{}", "Bearer wrong-secret-value"), 401, "WebhookUnauthorized"],
    [{ ...request("{}"), path: "/wp-login.php" }, 404, "WebhookStrayRequest"],
    [request("{not json"), 400, "WebhookRejected"],
  ] as const)("counts a refusal by kind (%#: %i)", async (req, status, metric) => {
    const w = world();
    const r = await receiveWebhook(req, cfg, w.deps, w.count);
    expect(r.status).toBe(status);
    expect(w.metrics).toEqual([metric]);
    expect(w.lines.join("\n")).toContain(String(r.body.code));
    expect(w.lines.join("\n")).not.toContain(SECRET);
  });

  it("logs ignored events with their reason and runs nothing for them", async () => {
    const w = world();
    const pull = structuredClone(fixture);
    pull.events[0].action = "pull";
    const r = await receiveWebhook(request(JSON.stringify(pull)), cfg, w.deps, w.count);
    expect(r.body).toMatchObject({ accepted: 0, ignored: 1 });
    expect(w.lines.some((l) => l.includes("event ignored"))).toBe(true);
    expect(w.metrics).toEqual(["WebhookAccepted"]);
  });
});
