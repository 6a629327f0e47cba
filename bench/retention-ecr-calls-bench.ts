// ECR API calls per 1,000 retention deletions: a plan with 1,000 deletions applied through
// EcrRetentionRegistry (the real adapter: paging, batching, stale check) against a mocked ECR
// (aws-sdk-client-mock) that keeps state, so every call is one the adapter really made. The
// floor is 10 BatchDeleteImage calls (100 image ids per call); the stale check adds one
// DescribeImages page per 1,000 manifests, and an index repository BatchGetImage calls to read
// the indexes' children. Printed, never asserted.
import { createHash } from "node:crypto";
import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  DescribeImagesCommand,
  ECRClient,
  type ImageDetail,
} from "@aws-sdk/client-ecr";
import { mockClient } from "aws-sdk-client-mock";
import { EcrRetentionRegistry } from "../shared/adapters/ecr/ecr-retention-registry.ts";
import { MemoryAuditLog } from "../shared/adapters/memory/memory-audit-log.ts";
import type { RepositoryPlan } from "../shared/domain/retention-plan.ts";
import { applyPlan } from "../shared/retention/apply-plan.ts";
import { planFor, planOf, silentLog } from "../test/support/retention-apply-fixtures.ts";
import { type Bench, type Figure, fmt, heading, note, row, table } from "./bench-util.ts";

const REGISTRY_ID = "123456789012";
const REGION = "eu-west-1";
const T0 = Date.parse("2026-03-01T12:00:00.000Z");
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

interface Stored {
  detail: ImageDetail;
  manifest?: string;
}

const sha = (s: string) => `sha256:${createHash("sha256").update(s).digest("hex")}`;

/** A stateful ECR: DescribeImages pages at 1,000, BatchGetImage and BatchDeleteImage at 100. */
function fakeEcr(repos: Map<string, Map<string, Stored>>) {
  const mock = mockClient(ECRClient);
  mock.on(DescribeImagesCommand).callsFake((input) => {
    const images = [...(repos.get(input.repositoryName)?.values() ?? [])];
    const start = Number(input.nextToken ?? 0);
    const end = start + (input.maxResults ?? 100);
    return {
      imageDetails: images.slice(start, end).map((s) => s.detail),
      ...(end < images.length ? { nextToken: String(end) } : {}),
    };
  });
  mock.on(BatchGetImageCommand).callsFake((input) => {
    const repo = repos.get(input.repositoryName);
    const images = [];
    const failures = [];
    for (const id of input.imageIds ?? []) {
      const s = repo?.get(id.imageDigest);
      if (s?.manifest) {
        images.push({
          imageId: { imageDigest: id.imageDigest },
          imageManifest: s.manifest,
          imageManifestMediaType: s.detail.imageManifestMediaType,
        });
      } else failures.push({ imageId: id, failureCode: "ImageNotFound", failureReason: "gone" });
    }
    return { images, failures };
  });
  mock.on(BatchDeleteImageCommand).callsFake((input) => {
    const repo = repos.get(input.repositoryName);
    const imageIds = [];
    const failures = [];
    for (const id of input.imageIds ?? []) {
      if (repo?.delete(id.imageDigest)) imageIds.push(id);
      else failures.push({ imageId: id, failureCode: "ImageNotFound", failureReason: "gone" });
    }
    return { imageIds, failures };
  });
  return mock;
}

function image(n: number, tags: string[], size = 50_000_000): Stored {
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, n });
  return {
    manifest,
    detail: {
      registryId: REGISTRY_ID,
      imageDigest: sha(manifest),
      imageTags: tags,
      imagePushedAt: new Date(T0 - n * 3_600_000),
      imageSizeInBytes: size,
      imageManifestMediaType: OCI_MANIFEST,
      artifactMediaType: "application/vnd.oci.image.config.v1+json",
    },
  };
}

function index(n: number, children: Stored[], tags: string[]): Stored {
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: children.map((c) => ({ mediaType: OCI_MANIFEST, digest: c.detail.imageDigest })),
  });
  return {
    manifest,
    detail: {
      registryId: REGISTRY_ID,
      imageDigest: sha(manifest),
      imageTags: tags,
      imagePushedAt: new Date(T0 - n * 3_600_000),
      imageManifestMediaType: OCI_INDEX,
    },
  };
}

interface Scenario {
  name: string;
  /** repository -> its images, and which digests the plan deletes. */
  build(): { repos: Map<string, Map<string, Stored>>; deletions: Map<string, Set<string>> };
}

const SCENARIOS: Scenario[] = [
  {
    name: "1 repository, 1,000 untagged images (+100 kept)",
    build() {
      const imgs = Array.from({ length: 1100 }, (_, i) => image(i, i < 100 ? [`v${i}`] : []));
      const repo = new Map(imgs.map((s) => [s.detail.imageDigest as string, s]));
      const del = new Set(imgs.slice(100).map((s) => s.detail.imageDigest as string));
      return { repos: new Map([["bench/api", repo]]), deletions: new Map([["bench/api", del]]) };
    },
  },
  {
    name: "1 repository, 100 indexes x 9 children",
    build() {
      const all: Stored[] = [];
      const del = new Set<string>();
      for (let i = 0; i < 110; i++) {
        const children = Array.from({ length: 9 }, (_, c) => image(10_000 + i * 9 + c, []));
        const ix = index(i, children, [`release-${i}`]);
        all.push(ix, ...children);
        if (i >= 10) for (const s of [ix, ...children]) del.add(s.detail.imageDigest as string);
      }
      const repo = new Map(all.map((s) => [s.detail.imageDigest as string, s]));
      return {
        repos: new Map([["bench/multi", repo]]),
        deletions: new Map([["bench/multi", del]]),
      };
    },
  },
  {
    name: "4 repositories, 250 untagged images each",
    build() {
      const repos = new Map<string, Map<string, Stored>>();
      const deletions = new Map<string, Set<string>>();
      for (let r = 0; r < 4; r++) {
        const imgs = Array.from({ length: 260 }, (_, i) =>
          image(r * 1000 + i, i < 10 ? [`v${i}`] : []),
        );
        repos.set(`bench/svc-${r}`, new Map(imgs.map((s) => [s.detail.imageDigest as string, s])));
        deletions.set(
          `bench/svc-${r}`,
          new Set(imgs.slice(10).map((s) => s.detail.imageDigest as string)),
        );
      }
      return { repos, deletions };
    },
  },
];

async function runScenario(s: Scenario) {
  const { repos, deletions } = s.build();
  const mock = fakeEcr(repos);
  try {
    const registry = new EcrRetentionRegistry({
      client: new ECRClient({
        region: REGION,
        credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
      }),
      registryId: REGISTRY_ID,
      region: REGION,
      log: silentLog,
    });
    // The plan is made from the adapter's own inventory, as a `retention plan` run would.
    const plans: RepositoryPlan[] = [];
    for (const [repository, del] of deletions) {
      const inv = await registry.inventory(repository);
      const isIndex = new Set(inv.artifacts.filter((a) => a.children).map((a) => a.digest));
      const order = [...inv.artifacts]
        .sort((a, b) => Number(isIndex.has(b.digest)) - Number(isIndex.has(a.digest)))
        .map((a) => a.digest);
      plans.push(planFor(inv, [...del], order));
    }
    mock.resetHistory();
    const audit = new MemoryAuditLog({ clock: () => new Date(T0) });
    const started = performance.now();
    const result = await applyPlan(planOf(plans, "bench-plan"), {
      registry,
      audit,
      log: silentLog,
      clock: () => new Date(T0),
    });
    const ms = performance.now() - started;
    const count = (c: Parameters<typeof mock.commandCalls>[0]) => mock.commandCalls(c).length;
    return {
      deleted: result.deleted,
      failed: result.failed.length,
      batchDelete: count(BatchDeleteImageCommand),
      describe: count(DescribeImagesCommand),
      batchGet: count(BatchGetImageCommand),
      total: mock.calls().length,
      ms,
    };
  } finally {
    mock.restore();
  }
}

export const retentionEcrCallsBench: Bench = {
  name: "retention-ecr-calls",
  description: "ECR API calls per 1,000 retention deletions (mocked ECR, real adapter)",
  async run(): Promise<Figure[]> {
    heading("Retention: ECR API calls per 1,000 deletions (aws-sdk-client-mock, real adapter)");
    const figures: Figure[] = [];
    const rows: string[][] = [];
    for (const s of SCENARIOS) {
      const r = await runScenario(s);
      rows.push([
        s.name,
        String(r.deleted),
        String(r.failed),
        String(r.batchDelete),
        String(r.describe),
        String(r.batchGet),
        String(r.total),
        fmt(r.ms, 0),
      ]);
      const perThousand = r.deleted > 0 ? (r.batchDelete * 1000) / r.deleted : Number.NaN;
      figures.push({
        bench: "retention-ecr-calls",
        metric: `BatchDeleteImage per 1,000 deletions (${s.name})`,
        value: fmt(perThousand, 1),
        goal: "<= 10 (floor)",
        met: perThousand <= 10.0001,
      });
    }
    process.stdout.write(
      table(
        ["scenario", "deleted", "failed", "BatchDelete", "Describe", "BatchGet", "all", "ms"],
        rows,
      ),
    );
    note("Describe/BatchGet are the stale check's fresh inventory before deleting.");
    note("Indexes are deleted before their children in a separate call, so each wave rounds up");
    note("to whole batches of 100; repositories are batched separately for the same reason.");
    row("mock", "aws-sdk-client-mock over ECRClient; stateful (deletes remove images)");
    return figures;
  },
};

// `npx tsx bench/retention-ecr-calls-bench.ts` runs it alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  await retentionEcrCallsBench.run();
}
