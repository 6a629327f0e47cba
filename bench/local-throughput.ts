// Receiver throughput on loopback: 30 s of distribution push notifications POSTed to the local
// runtime's receiver by a fixed number of senders (bounded load: each waits for its answer),
// every one about a real image in the real registry, so each goes the whole way (digest check
// against the registry, audit append in dynalite). Then the proof that none was lost: every
// accepted event id has its audit record, and nothing was dead-lettered.
import { randomUUID } from "node:crypto";
import { pushSampleImage } from "../local/sample-image.ts";
import { OciClient } from "../shared/adapters/oci/oci-client.ts";
import {
  type Bench,
  type Figure,
  fmt,
  heading,
  median,
  note,
  percentile,
  row,
} from "./bench-util.ts";
import { withLocalRuntime } from "./local-bench-runtime.ts";

const DURATION_MS = 30_000;
const SENDERS = 8;
/** Upper bound on requests, whatever the machine's speed. */
const MAX_REQUESTS = 50_000;
/** Spread over many images, so chains stay as short as real ones (an append reads its chain). */
const IMAGES = 400;
/** What distribution does with a 503: keep the event and try again after a pause. */
const RETRY_AFTER_503_MS = 250;
const DRAIN_TIMEOUT_MS = 180_000;
const DISTRIBUTION = "application/vnd.docker.distribution.events.v1+json";

interface Image {
  repository: string;
  digest: string;
  tag: string;
}

function envelope(img: Image, id: string): string {
  return JSON.stringify({
    events: [
      {
        id,
        timestamp: new Date().toISOString(),
        action: "push",
        target: {
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          digest: img.digest,
          repository: img.repository,
          tag: img.tag,
          size: 400,
        },
        request: { id: randomUUID(), method: "PUT", useragent: "registry-guard-bench" },
        actor: {},
        source: { addr: "127.0.0.1", instanceID: "bench" },
      },
    ],
  });
}

export const localThroughputBench: Bench = {
  name: "local-throughput",
  description: `local runtime: receiver events/s over ${DURATION_MS / 1000} s of notifications, none lost`,
  async run(): Promise<Figure[]> {
    heading(
      `local-throughput: ${DURATION_MS / 1000} s of push notifications, ${SENDERS} senders, ${IMAGES} images`,
    );
    return withLocalRuntime(
      { registryNotifications: false, maxBacklog: 200 },
      async (rt, warnings) => {
        const client = new OciClient({ url: rt.registryUrl });
        const images: Image[] = [];
        try {
          for (let i = 0; i < IMAGES; i++) {
            const repository = `team-${i % 10}/svc-${i}`;
            const img = await pushSampleImage(client, repository, ["1.0"]);
            images.push({ repository, digest: img.digest, tag: "1.0" });
          }
        } finally {
          client.close();
        }

        const url = `${rt.receiverUrl}/webhooks/distribution`;
        const accepted: string[] = [];
        const refused: number[] = [];
        const latencies: number[] = [];
        let next = 0;
        const t0 = performance.now();
        const deadline = t0 + DURATION_MS;
        const sender = async () => {
          while (performance.now() < deadline && next < MAX_REQUESTS) {
            const img = images[next++ % IMAGES] as Image;
            const id = randomUUID();
            const body = envelope(img, id);
            for (;;) {
              const s = performance.now();
              const res = await fetch(url, {
                method: "POST",
                headers: { "content-type": DISTRIBUTION, authorization: `Bearer ${rt.secret}` },
                body,
              });
              await res.arrayBuffer();
              latencies.push(performance.now() - s);
              if (res.status === 202) {
                accepted.push(id);
                break;
              }
              refused.push(res.status);
              if (res.status !== 503 || performance.now() >= deadline) break;
              await new Promise((r) => setTimeout(r, RETRY_AFTER_503_MS));
            }
          }
        };
        await Promise.all(Array.from({ length: SENDERS }, sender));
        const sendSeconds = (performance.now() - t0) / 1000;
        const backlog = rt.queue.stats();
        await Promise.race([
          rt.queue.idle(),
          new Promise((r) => setTimeout(r, DRAIN_TIMEOUT_MS).unref()),
        ]);
        const drainSeconds = (performance.now() - t0) / 1000;
        const stats = rt.queue.stats();

        // The proof: one event-received record per accepted event id.
        const records = await rt.audit.byEventType("image-pushed", {});
        const recorded = new Set(
          records.filter((r) => r.action === "event-received").map((r) => r.eventId),
        );
        const missing = accepted.filter((id) => !recorded.has(id));
        const dead = rt.queue.deadLetters().length;

        const acceptedRate = accepted.length / sendSeconds;
        const processedRate = stats.done / drainSeconds;
        const busy = refused.filter((s) => s === 503).length;
        row(
          "requests sent / events accepted (202)",
          `${accepted.length + refused.length} / ${accepted.length}`,
        );
        row("answered 503 (backlog full; sender retried)", String(busy));
        row("refused otherwise", String(refused.length - busy));
        row("receiver: accepted events/s", fmt(acceptedRate, 1));
        row(
          "receiver POST latency p50 / p95",
          `${fmt(median(latencies), 2)} / ${fmt(percentile(latencies, 95), 2)} ms`,
        );
        row(
          "queue backlog when sending stopped",
          `${backlog.queued + backlog.inFlight + backlog.retrying} events`,
        );
        row("pipeline: events handled/s (until drained)", fmt(processedRate, 1));
        row("drained after", `${fmt(drainSeconds, 1)} s`);
        row(
          "audit records for accepted events",
          `${accepted.length - missing.length} of ${accepted.length}`,
        );
        row("lost (accepted, no audit record)", String(missing.length));
        row("dead-lettered / retries", `${dead} / ${stats.retries}`);
        row("warnings and errors logged (the receiver logs each 503)", String(warnings()));
        note(
          "Every event is a manifest push of a real image: the pipeline reads its manifest and tags",
        );
        note(
          "from the registry, verifies the digest, and appends a hash-chained record in dynalite.",
        );
        if (missing.length > 0)
          throw new Error(`${missing.length} accepted events have no audit record`);
        return [
          {
            bench: "local-throughput",
            metric: "receiver accepted events/s",
            value: fmt(acceptedRate, 1),
          },
          {
            bench: "local-throughput",
            metric: "pipeline events handled/s",
            value: fmt(processedRate, 1),
          },
          {
            bench: "local-throughput",
            metric: "events lost",
            value: `${missing.length} of ${accepted.length}`,
            goal: "0",
            met: missing.length === 0 && dead === 0,
          },
        ];
      },
    );
  },
};
