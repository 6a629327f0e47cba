import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COSIGN_VULN_PREDICATE_TYPES } from "../../shared/adapters/oci/cosign-vuln-attestation.ts";
import { OciRegistry } from "../../shared/adapters/oci/oci-registry.ts";
import {
  DSSE_ENVELOPE_MEDIA_TYPE,
  GRYPE_REPORT_MEDIA_TYPE,
  TRIVY_REPORT_MEDIA_TYPE,
} from "../../shared/adapters/oci/oci-scan-report.ts";
import type { ImageRef } from "../../shared/domain/image.ts";
import { parseFindingsDocument } from "../../shared/findings/parse-findings-document.ts";
import { type LocalRegistry, startLocalRegistry } from "../support/local-registry.ts";
import {
  attachArtifact,
  dsseEnvelope,
  type PushedImage,
  type PushTarget,
  pushCosignAttestations,
  pushImage,
} from "../support/oci-push.ts";

let reg: LocalRegistry;
let target: PushTarget;
let registry: OciRegistry;
let trivy: Record<string, unknown>;
let grype: Record<string, unknown>;

beforeAll(async () => {
  reg = await startLocalRegistry();
  target = { url: reg.url };
  registry = new OciRegistry({ url: reg.url });
  trivy = JSON.parse(await readFile("test/fixtures/findings/trivy.json", "utf8"));
  grype = JSON.parse(await readFile("test/fixtures/findings/grype.json", "utf8"));
});

afterAll(async () => {
  registry?.close();
  await reg?.stop();
});

const refOf = (img: PushedImage): ImageRef => ({
  registry: "oci",
  registryId: reg.host,
  repository: img.repository,
  digest: img.digest,
  tags: [],
});

const json = (o: unknown) => Buffer.from(JSON.stringify(o));

function vulnStatement(subjectDigest: string, result: unknown, predicateType: string) {
  return {
    _type: "https://in-toto.io/Statement/v0.1",
    subject: [{ name: "image", digest: { sha256: subjectDigest.slice("sha256:".length) } }],
    predicateType,
    predicate: {
      invocation: { parameters: null, uri: "", event_id: "", "builder.id": "" },
      scanner: { uri: "pkg:github/aquasecurity/trivy@v0.50.0", version: "v0.50.0", db: {}, result },
      metadata: {
        scanStartedOn: "2024-05-01T10:00:00Z",
        scanFinishedOn: "2024-05-01T10:01:00Z",
      },
    },
  };
}

describe("OciRegistry.getScanResult", () => {
  it("is NONE when nothing is attached", async () => {
    const img = await pushImage(target, "scan/none");
    const scan = await registry.getScanResult(refOf(img));
    expect(scan.status).toBe("NONE");
    expect(scan.findings).toEqual([]);
    expect(scan.detail).toContain(img.digest);
  });

  it("reads a Trivy report attached through the sha256-<hex> tag schema", async () => {
    const img = await pushImage(target, "scan/trivy");
    await attachArtifact(target, "scan/trivy", img, {
      artifactType: TRIVY_REPORT_MEDIA_TYPE,
      layers: [{ mediaType: TRIVY_REPORT_MEDIA_TYPE, bytes: json(trivy) }],
    });

    const scan = await registry.getScanResult(refOf(img));

    const expected = parseFindingsDocument(trivy, "trivy");
    expect(scan.status).toBe("COMPLETE");
    expect(scan.scanner).toBe("trivy");
    expect(scan.findings.length).toBeGreaterThan(0);
    expect(scan).toEqual(expected);
  });

  it("reads a Grype document whose artifact type names it (layer typed application/json)", async () => {
    const img = await pushImage(target, "scan/grype");
    await attachArtifact(target, "scan/grype", img, {
      artifactType: GRYPE_REPORT_MEDIA_TYPE,
      layers: [{ mediaType: "application/json", bytes: json(grype) }],
    });
    const scan = await registry.getScanResult(refOf(img));
    expect(scan).toEqual(parseFindingsDocument(grype, "grype"));
    expect(scan.findings.length).toBeGreaterThan(0);
  });

  it("reads a cosign vulnerability attestation from cosign's sha256-<hex>.att tag", async () => {
    const img = await pushImage(target, "scan/cosign");
    const provenance = {
      _type: "https://in-toto.io/Statement/v0.1",
      subject: [{ name: "image", digest: { sha256: img.digest.slice(7) } }],
      predicateType: "https://slsa.dev/provenance/v0.2",
      predicate: {},
    };
    await pushCosignAttestations(target, "scan/cosign", img.digest, [
      { predicateType: "https://slsa.dev/provenance/v0.2", envelope: dsseEnvelope(provenance) },
      {
        predicateType: COSIGN_VULN_PREDICATE_TYPES[0],
        envelope: dsseEnvelope(vulnStatement(img.digest, trivy, COSIGN_VULN_PREDICATE_TYPES[0])),
      },
    ]);

    const scan = await registry.getScanResult(refOf(img));
    expect(scan.status).toBe("COMPLETE");
    expect(scan.findings).toEqual(parseFindingsDocument(trivy, "trivy").findings);
  });

  it("reads a cosign vulnerability attestation attached as a referrer (DSSE artifact)", async () => {
    const img = await pushImage(target, "scan/cosign-ref");
    const result = { ...trivy, CreatedAt: undefined };
    await attachArtifact(target, "scan/cosign-ref", img, {
      artifactType: DSSE_ENVELOPE_MEDIA_TYPE,
      layers: [
        {
          mediaType: DSSE_ENVELOPE_MEDIA_TYPE,
          bytes: dsseEnvelope(vulnStatement(img.digest, result, COSIGN_VULN_PREDICATE_TYPES[1])),
        },
      ],
    });
    const scan = await registry.getScanResult(refOf(img));
    expect(scan.status).toBe("COMPLETE");
    expect(scan.findings).toEqual(parseFindingsDocument(result, "trivy").findings);
    // No CreatedAt in the report: the attestation's scanFinishedOn dates it.
    expect(scan.completedAt).toBe("2024-05-01T10:01:00.000Z");
  });

  it("picks the newest of several reports", async () => {
    const img = await pushImage(target, "scan/newest");
    const results = (trivy.Results as { Vulnerabilities?: unknown[] }[]) ?? [];
    const newer = {
      ...trivy,
      CreatedAt: "2030-01-01T00:00:00Z",
      Results: [{ ...results[0], Vulnerabilities: results[0]?.Vulnerabilities?.slice(0, 1) }],
    };
    const older = { ...trivy, CreatedAt: "2020-01-01T00:00:00Z" };
    // Newer first in the index, so list order alone would pick the wrong one.
    for (const report of [newer, older]) {
      await attachArtifact(target, "scan/newest", img, {
        artifactType: TRIVY_REPORT_MEDIA_TYPE,
        layers: [{ mediaType: TRIVY_REPORT_MEDIA_TYPE, bytes: json(report) }],
      });
    }
    const scan = await registry.getScanResult(refOf(img));
    expect(scan.completedAt).toBe("2030-01-01T00:00:00.000Z");
    expect(scan.findings).toEqual(parseFindingsDocument(newer, "trivy").findings);
    expect(scan.findings).toHaveLength(1);
  });

  it("ignores an artifact whose subject is another image, even when listed under this one", async () => {
    const img = await pushImage(target, "scan/foreign");
    const other = await pushImage(target, "scan/foreign");
    await attachArtifact(target, "scan/foreign", other, {
      artifactType: TRIVY_REPORT_MEDIA_TYPE,
      layers: [{ mediaType: TRIVY_REPORT_MEDIA_TYPE, bytes: json(trivy) }],
    });
    // Copy the other image's referrers index under this image's tag.
    const otherTag = other.digest.replace(":", "-");
    const res = await fetch(`${reg.url}/v2/scan/foreign/manifests/${otherTag}`, {
      headers: { accept: "application/vnd.oci.image.index.v1+json" },
    });
    const body = Buffer.from(await res.arrayBuffer());
    await fetch(`${reg.url}/v2/scan/foreign/manifests/${img.digest.replace(":", "-")}`, {
      method: "PUT",
      headers: { "content-type": "application/vnd.oci.image.index.v1+json" },
      body,
    });
    expect((await registry.getScanResult(refOf(img))).status).toBe("NONE");
    expect((await registry.getScanResult(refOf(other))).status).toBe("COMPLETE");
  });

  it("is FAILED, saying why, when the newest report cannot be read", async () => {
    const img = await pushImage(target, "scan/broken");
    await attachArtifact(target, "scan/broken", img, {
      artifactType: TRIVY_REPORT_MEDIA_TYPE,
      layers: [{ mediaType: TRIVY_REPORT_MEDIA_TYPE, bytes: Buffer.from("{not json") }],
    });
    const scan = await registry.getScanResult(refOf(img));
    expect(scan.status).toBe("FAILED");
    expect(scan.detail).toContain("cannot be read");
  });

  it("is FAILED when a vulnerability attestation names another image as its subject", async () => {
    const img = await pushImage(target, "scan/wrong-subject");
    const other = `sha256:${"ab".repeat(32)}`;
    await pushCosignAttestations(target, "scan/wrong-subject", img.digest, [
      {
        predicateType: COSIGN_VULN_PREDICATE_TYPES[0],
        envelope: dsseEnvelope(vulnStatement(other, trivy, COSIGN_VULN_PREDICATE_TYPES[0])),
      },
    ]);
    const scan = await registry.getScanResult(refOf(img));
    expect(scan.status).toBe("FAILED");
    expect(scan.detail).toContain("another image");
  });

  it("still finds the reports of a quarantined image", async () => {
    const img = await pushImage(target, "scan/held", { tags: ["v1"] });
    await attachArtifact(target, "scan/held", img, {
      artifactType: TRIVY_REPORT_MEDIA_TYPE,
      layers: [{ mediaType: TRIVY_REPORT_MEDIA_TYPE, bytes: json(trivy) }],
    });
    await registry.quarantine(refOf(img));
    const scan = await registry.getScanResult(refOf(img));
    expect(scan).toEqual(parseFindingsDocument(trivy, "trivy"));
  });
});
