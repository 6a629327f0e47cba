import { describe, expect, it } from "vitest";
import {
  COSIGN_VULN_PREDICATE_TYPES,
  readVulnAttestation,
  VulnAttestationError,
} from "../../shared/adapters/oci/cosign-vuln-attestation.ts";

const DIGEST = `sha256:${"d".repeat(64)}`;
const RESULT = { SchemaVersion: 2, Results: [] };

// The statement shape of cosign's vuln predicate spec and Trivy's `--format cosign-vuln` output.
function statement(
  overrides: Record<string, unknown> = {},
  predicate: Record<string, unknown> = {},
) {
  return {
    _type: "https://in-toto.io/Statement/v0.1",
    subject: [{ name: "registry.example/app", digest: { sha256: "d".repeat(64) } }],
    predicateType: COSIGN_VULN_PREDICATE_TYPES[0],
    predicate: {
      invocation: { parameters: null, uri: "", event_id: "", "builder.id": "" },
      scanner: {
        uri: "pkg:github/aquasecurity/trivy@v0.50.0",
        version: "v0.50.0",
        db: { uri: "", version: "" },
        result: RESULT,
      },
      metadata: { scanStartedOn: "2024-05-01T10:00:00Z", scanFinishedOn: "2024-05-01T10:02:00Z" },
      ...predicate,
    },
    ...overrides,
  };
}

const envelope = (s: unknown, payloadType = "application/vnd.in-toto+json") => ({
  payloadType,
  payload: Buffer.from(JSON.stringify(s)).toString("base64"),
  signatures: [{ keyid: "", sig: "MEUCIQ..." }],
});

describe("readVulnAttestation", () => {
  it("reads the scanner result and finish time from a DSSE envelope", () => {
    expect(readVulnAttestation(envelope(statement()), DIGEST)).toEqual({
      result: RESULT,
      scannerUri: "pkg:github/aquasecurity/trivy@v0.50.0",
      finishedAt: "2024-05-01T10:02:00Z",
    });
  });

  it("reads a Sigstore bundle holding the envelope, and both predicate type spellings", () => {
    for (const predicateType of COSIGN_VULN_PREDICATE_TYPES) {
      const bundle = {
        mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
        verificationMaterial: {},
        dsseEnvelope: envelope(statement({ predicateType })),
      };
      expect(readVulnAttestation(bundle, DIGEST)?.result).toEqual(RESULT);
    }
  });

  it("reads the spec draft's scanners list", () => {
    const s = statement(
      {},
      { scanner: undefined, scanners: [{ uri: "grype", result: { matches: [] } }] },
    );
    expect(readVulnAttestation(envelope(s), DIGEST)?.result).toEqual({ matches: [] });
  });

  it("is null for other predicates (provenance, SBOM)", () => {
    const s = statement({ predicateType: "https://slsa.dev/provenance/v1" });
    expect(readVulnAttestation(envelope(s), DIGEST)).toBeNull();
  });

  it("refuses an attestation about another image", () => {
    expect(() => readVulnAttestation(envelope(statement()), `sha256:${"e".repeat(64)}`)).toThrow(
      /another image/,
    );
  });

  it("refuses what is not an in-toto attestation, saying what is wrong", () => {
    const cases: [unknown, RegExp][] = [
      [{ hello: "world" }, /DSSE envelope/],
      [envelope(statement(), "text/plain"), /not an in-toto statement/],
      [{ payloadType: "application/vnd.in-toto+json", payload: "!!!" }, /base64-encoded JSON/],
      [envelope({ predicateType: "x" }), /subject, predicateType/],
      [envelope(statement({}, { scanner: { uri: "x" } })), /scanner\.result/],
    ];
    for (const [doc, message] of cases) {
      let err: unknown;
      try {
        readVulnAttestation(doc, DIGEST);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(VulnAttestationError);
      expect((err as Error).message).toMatch(message);
      expect((err as VulnAttestationError).code).toBe("VULN_ATTESTATION_INVALID");
    }
  });
});
