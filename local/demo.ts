import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { recordsTable } from "../cli/format-audit.ts";
import { OciClient } from "../shared/adapters/oci/oci-client.ts";
import { getManifest } from "../shared/adapters/oci/oci-manifest.ts";
import { attachScanReport } from "./attach-scan-report.ts";
import type { LocalRuntime } from "./runtime.ts";
import { pushSampleImage } from "./sample-image.ts";
import { waitForDecision } from "./wait-for-decision.ts";

export const DEMO_REPOSITORY = "prod/demo";
const SAMPLE_REPORT = fileURLToPath(new URL("./samples/trivy-fail.json", import.meta.url));

export interface DemoResult {
  digest: string;
  verdict: string;
  quarantined: boolean;
  /** HTTP status of a pull by tag and by digest after the decision. */
  pullByTag: number;
  pullByDigest: number;
}

/**
 * The newcomer's tour, through the running pipeline: push a small image to prod/demo, attach
 * a failing Trivy report (as `attach-report` does), wait for the decision the registry's
 * notifications trigger, then show that pulls fail, the audit trail, and the alert's line.
 */
export async function runDemo(rt: LocalRuntime, say: (text: string) => void): Promise<DemoResult> {
  const client = new OciClient({ url: rt.registryUrl });
  try {
    const tag = `1.0-${Date.now().toString(36)}`;
    const host = `localhost:${new URL(rt.registryUrl).port}`;
    say(`\n── demo ──────────────────────────────────────────────────────────────`);
    const image = await pushSampleImage(client, DEMO_REPOSITORY, [tag]);
    say(`1. pushed ${host}/${DEMO_REPOSITORY}:${tag}\n   digest ${image.digest}`);
    const since = new Date().toISOString();
    const attached = await attachScanReport(client, {
      repository: DEMO_REPOSITORY,
      digest: image.digest,
      report: await readFile(SAMPLE_REPORT),
      fileName: "trivy-fail.json",
    });
    say(
      `2. attached local/samples/trivy-fail.json as ${attached.artifactType}\n   (artifact ${attached.digest.slice(0, 19)}…, listed under tag ${attached.referrersTag ?? "(referrers API)"})`,
    );
    const records = await waitForDecision(
      rt.audit,
      {
        registry: "oci",
        registryId: rt.registryHost,
        repository: DEMO_REPOSITORY,
        digest: image.digest,
      },
      { since },
    );
    const gate = records.findLast((r) => r.action === "gate-evaluated");
    const quarantined = records.some((r) => r.action === "quarantined");
    const pull = async (ref: string) =>
      (await getManifest(client, DEMO_REPOSITORY, ref)) ? 200 : 404;
    const pullByTag = await pull(tag);
    const pullByDigest = await pull(image.digest);
    say(
      `3. the gate said ${String(gate?.verdict).toUpperCase()}: ${(gate?.reasons ?? []).join("; ")}`,
    );
    say(
      quarantined
        ? `4. quarantined: pull by tag → HTTP ${pullByTag}, pull by digest → HTTP ${pullByDigest}; kept intact in quarantine/${DEMO_REPOSITORY}`
        : "4. not quarantined (the policy for prod/demo only alerts)",
    );
    say(`5. the audit trail of the image (hash-chained):\n${indent(recordsTable(records))}`);
    say(
      `6. the alert is above, and one JSON line in ${rt.dir.alerts}\n` +
        `   release it: npm run registry-guard -- release ${rt.registryHost}/${DEMO_REPOSITORY}@${image.digest} \\\n` +
        `     --registry ${rt.registryUrl} --reason "demo" --endpoint-dynamodb ${rt.dynamodbEndpoint} --table ${rt.tableName}\n` +
        `     (with AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local: the local DynamoDB wants signed requests)`,
    );
    say(`──────────────────────────────────────────────────────────────────────\n`);
    return {
      digest: image.digest,
      verdict: gate?.verdict ?? "unknown",
      quarantined,
      pullByTag,
      pullByDigest,
    };
  } finally {
    client.close();
  }
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => `   ${l}`)
    .join("\n");
}
