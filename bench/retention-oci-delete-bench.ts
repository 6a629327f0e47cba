// Retention on the real CNCF distribution registry (started here, deletes enabled, filesystem
// storage in a temp dir): 300 small images pushed, read by the OCI retention adapter's inventory,
// then deleted by digest. Deletes in one repository are sequential (parents before children);
// applying a plan runs repositories side by side, so the same 300 are also deleted as 4
// repositories in parallel. For scale: Harbor users report GC at single-digit deletions per minute
// on large stores (that is blob GC; this is manifest deletion, the registry's GC runs later).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../local/port-check.ts";
import { ensureRegistryBinary } from "../local/registry-binary.ts";
import { startRegistryProcess } from "../local/registry-process.ts";
import { pushSampleImage } from "../local/sample-image.ts";
import { OciRegistry } from "../shared/adapters/oci/oci-registry.ts";
import { OciRetentionRegistry } from "../shared/adapters/oci/oci-retention-registry.ts";
import { mapLimit } from "../shared/concurrency/map-limit.ts";
import { type Bench, type Figure, fmt, heading, note, row } from "./bench-util.ts";

const IMAGES = 300;
const PARALLEL_REPOSITORIES = 4;
const PUSH_CONCURRENCY = 8;

interface Run {
  deleted: number;
  seconds: number;
}

async function pushAll(registry: OciRegistry, repositories: string[], perRepository: number) {
  const jobs = repositories.flatMap((repository) =>
    Array.from({ length: perRepository }, (_, i) => ({ repository, i })),
  );
  await mapLimit(jobs, PUSH_CONCURRENCY, ({ repository, i }) =>
    pushSampleImage(registry.client, repository, [`v${i}`, `build-${i}`]),
  );
}

/** Deletes every artifact of the repositories, each repository sequentially, all side by side. */
async function deleteAll(retention: OciRetentionRegistry, repositories: string[]): Promise<Run> {
  const plans = await Promise.all(
    repositories.map(async (r) => ({
      repository: r,
      digests: (await retention.inventory(r)).artifacts.map((a) => a.digest),
    })),
  );
  const t0 = performance.now();
  const results = await Promise.all(
    plans.map((p) => retention.deleteManifests(p.repository, p.digests)),
  );
  const seconds = (performance.now() - t0) / 1000;
  const deleted = results.flat().filter((r) => r.outcome === "deleted").length;
  const expected = plans.reduce((n, p) => n + p.digests.length, 0);
  if (deleted !== expected) throw new Error(`deleted ${deleted} of ${expected} manifests`);
  return { deleted, seconds };
}

export const retentionOciDeleteBench: Bench = {
  name: "retention-oci-delete",
  description: `retention on the local registry: inventory and delete ${IMAGES} images (deletions/s)`,
  async run(): Promise<Figure[]> {
    heading(`retention-oci-delete: ${IMAGES} images on the local distribution registry`);
    const binary = await ensureRegistryBinary({ notice: (l) => note(l) });
    const dir = await mkdtemp(join(tmpdir(), "registry-guard-bench-retention-"));
    const port = await freePort();
    const proc = await startRegistryProcess({
      binary,
      host: "127.0.0.1",
      port,
      storageDir: join(dir, "data"),
      configPath: join(dir, "config.yml"),
    });
    const registry = new OciRegistry({ url: proc.url });
    try {
      const retention = new OciRetentionRegistry(registry);

      // One repository: inventory cost, then sequential deletes.
      await pushAll(registry, ["bench/one"], IMAGES);
      let requests = 0;
      const send = registry.client.send.bind(registry.client);
      registry.client.send = (call) => {
        requests++;
        return send(call);
      };
      const i0 = performance.now();
      const inv = await retention.inventory("bench/one");
      const inventoryMs = performance.now() - i0;
      registry.client.send = send;
      const sequential = await deleteAll(retention, ["bench/one"]);

      // The same number spread over repositories deleted side by side.
      const repos = Array.from({ length: PARALLEL_REPOSITORIES }, (_, i) => `bench/par-${i}`);
      await pushAll(registry, repos, IMAGES / PARALLEL_REPOSITORIES);
      const parallel = await deleteAll(retention, repos);

      const perSecond = (r: Run) => r.deleted / r.seconds;
      row("images (2 tags each)", String(inv.artifacts.length));
      row(
        "inventory",
        `${fmt(inventoryMs, 0)} ms, ${requests} requests (${fmt(requests / inv.artifacts.length, 2)} per image)`,
      );
      row(
        "delete, one repository (sequential)",
        `${fmt(perSecond(sequential), 0)} deletions/s (${fmt(sequential.seconds, 2)} s)`,
      );
      row(
        `delete, ${PARALLEL_REPOSITORIES} repositories in parallel`,
        `${fmt(perSecond(parallel), 0)} deletions/s (${fmt(parallel.seconds, 2)} s)`,
      );
      note("Manifest deletes only: the blobs stay until `registry garbage-collect` runs.");
      return [
        {
          bench: "retention-oci-delete",
          metric: "deletions/s, one repository",
          value: fmt(perSecond(sequential), 0),
        },
        {
          bench: "retention-oci-delete",
          metric: `deletions/s, ${PARALLEL_REPOSITORIES} repositories`,
          value: fmt(perSecond(parallel), 0),
        },
        {
          bench: "retention-oci-delete",
          metric: "inventory requests per image",
          value: fmt(requests / inv.artifacts.length, 2),
        },
      ];
    } finally {
      registry.close();
      await proc.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
