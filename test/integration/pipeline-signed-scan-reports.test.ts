import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryAuditLog } from "../../shared/adapters/memory/memory-audit-log.ts";
import { COSIGN_VULN_PREDICATE_TYPES } from "../../shared/adapters/oci/cosign-vuln-attestation.ts";
import { OciRegistry } from "../../shared/adapters/oci/oci-registry.ts";
import {
  DSSE_ENVELOPE_MEDIA_TYPE,
  TRIVY_REPORT_MEDIA_TYPE,
} from "../../shared/adapters/oci/oci-scan-report.ts";
import type { ImageRef } from "../../shared/domain/image.ts";
import { loadPolicy } from "../../shared/domain/policy-load.ts";
import { parseFindingsDocument } from "../../shared/findings/parse-findings-document.ts";
import type { PipelineDeps } from "../../shared/pipeline/pipeline-deps.ts";
import { scanForGate } from "../../shared/pipeline/scan-report-signatures.ts";
import { SIGSTORE_BUNDLE_V03_MEDIA_TYPE } from "../../shared/signatures/signature-formats.ts";
import {
  b64,
  dsseBundle,
  generateTestKey,
  pae,
  signBytes,
  type TestKey,
} from "../support/cosign-vectors.ts";
import { type LocalRegistry, startLocalRegistry } from "../support/local-registry.ts";
import {
  attachArtifact,
  type PushedImage,
  type PushTarget,
  pushCosignAttestations,
  pushImage,
} from "../support/oci-push.ts";

// requireSignedScanReports on the real registry: a cosign vulnerability attestation counts only
// when a trusted key signed it; unsigned reports are ignored with the reason in the detail.

const trusted = generateTestKey("p256");
const stranger = generateTestKey("p256");
let reg: LocalRegistry;
let target: PushTarget;
let registry: OciRegistry;
let trivy: Record<string, unknown>;
let deps: PipelineDeps;

beforeAll(async () => {
  reg = await startLocalRegistry();
  target = { url: reg.url };
  registry = new OciRegistry({ url: reg.url, http: { maxAttempts: 1 } });
  trivy = JSON.parse(await readFile("test/fixtures/findings/trivy.json", "utf8"));
  const clock = () => new Date("2026-05-01T10:00:00Z");
  const pem = trusted.publicPem
    .trim()
    .split("\n")
    .map((l) => `          ${l}`)
    .join("\n");
  deps = {
    registry,
    audit: new MemoryAuditLog({ clock }),
    alerts: { publish: async () => ({}) },
    policy: loadPolicy(
      `version: 1
repositories:
  - match: "signed/**"
    signatures:
      requireSignedScanReports: true
      keys:
      - name: scanner
        pem: |
${pem}
`,
      "test.yaml",
    ),
    clock,
    log: { debug() {}, info() {}, warn() {}, error() {} },
  };
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

function statement(subjectDigest: string) {
  return Buffer.from(
    JSON.stringify({
      _type: "https://in-toto.io/Statement/v0.1",
      subject: [{ name: "image", digest: { sha256: subjectDigest.slice("sha256:".length) } }],
      predicateType: COSIGN_VULN_PREDICATE_TYPES[0],
      predicate: {
        scanner: { uri: "pkg:github/aquasecurity/trivy@v0.50.0", result: trivy },
        metadata: { scanFinishedOn: "2024-05-01T10:01:00Z" },
      },
    }),
  );
}

/** `cosign attest --type vuln --key`: a DSSE envelope signed over its PAE. */
function signedEnvelope(key: TestKey, payload: Buffer): Buffer {
  const payloadType = "application/vnd.in-toto+json";
  return Buffer.from(
    JSON.stringify({
      payloadType,
      payload: b64(payload),
      signatures: [{ keyid: "", sig: b64(signBytes(key, pae(payloadType, payload))) }],
    }),
  );
}

async function attested(repo: string, key: TestKey) {
  const img = await pushImage(target, repo);
  await pushCosignAttestations(target, repo, img.digest, [
    {
      predicateType: COSIGN_VULN_PREDICATE_TYPES[0],
      envelope: signedEnvelope(key, statement(img.digest)),
    },
  ]);
  return img;
}

describe("requireSignedScanReports", () => {
  it("counts an attestation signed by a trusted key", async () => {
    const img = await attested("signed/good", trusted);
    const scan = await scanForGate(deps, refOf(img));
    expect(scan.status).toBe("COMPLETE");
    expect(scan.findings).toEqual(parseFindingsDocument(trivy, "trivy").findings);
  });

  it("ignores one signed by another key, with the reason", async () => {
    const img = await attested("signed/bad", stranger);
    const scan = await scanForGate(deps, refOf(img));
    expect(scan.status).toBe("NONE");
    expect(scan.detail).toMatch(/ignored .*SIGNATURE_INVALID/);
  });

  it("counts a Sigstore bundle signed by a trusted key, not one by another key", async () => {
    for (const [repo, key, status] of [
      ["signed/bundle-good", trusted, "COMPLETE"],
      ["signed/bundle-bad", stranger, "NONE"],
    ] as const) {
      const img = await pushImage(target, repo);
      await attachArtifact(target, repo, img, {
        artifactType: SIGSTORE_BUNDLE_V03_MEDIA_TYPE,
        layers: [
          {
            mediaType: SIGSTORE_BUNDLE_V03_MEDIA_TYPE,
            bytes: dsseBundle(key, { payload: statement(img.digest) }),
          },
        ],
      });
      expect((await scanForGate(deps, refOf(img))).status, repo).toBe(status);
    }
  });

  it("ignores a plain report when signed reports are required, reads it where they are not", async () => {
    for (const repo of ["signed/plain", "open/plain"]) {
      const img = await pushImage(target, repo);
      await attachArtifact(target, repo, img, {
        artifactType: TRIVY_REPORT_MEDIA_TYPE,
        layers: [{ mediaType: TRIVY_REPORT_MEDIA_TYPE, bytes: Buffer.from(JSON.stringify(trivy)) }],
      });
      const scan = await scanForGate(deps, refOf(img));
      if (repo.startsWith("signed/")) {
        expect(scan.status).toBe("NONE");
        expect(scan.detail).toMatch(/plain document, not a signed attestation/);
      } else {
        expect(scan.status).toBe("COMPLETE");
      }
    }
  });

  it("an unsigned (placeholder) DSSE envelope is ignored", async () => {
    const img = await pushImage(target, "signed/unsigned");
    const payload = statement(img.digest);
    await attachArtifact(target, "signed/unsigned", img, {
      artifactType: DSSE_ENVELOPE_MEDIA_TYPE,
      layers: [
        {
          mediaType: DSSE_ENVELOPE_MEDIA_TYPE,
          bytes: Buffer.from(
            JSON.stringify({
              payloadType: "application/vnd.in-toto+json",
              payload: b64(payload),
              signatures: [],
            }),
          ),
        },
      ],
    });
    const scan = await scanForGate(deps, refOf(img));
    expect(scan.status).toBe("NONE");
    expect(scan.detail).toMatch(/not signed/);
  });
});
