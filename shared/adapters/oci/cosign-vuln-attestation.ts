import { z } from "zod";

/**
 * The cosign vulnerability scan record's predicate type: cosign 2 writes the URL, cosign 1 and
 * the original spec the bare form.
 */
export const COSIGN_VULN_PREDICATE_TYPES = [
  "https://cosign.sigstore.dev/attestation/vuln/v1",
  "cosign.sigstore.dev/attestation/vuln/v1",
] as const;

export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";

/** A document that claims to be an attestation but is not a well-formed one. */
export class VulnAttestationError extends Error {
  readonly code = "VULN_ATTESTATION_INVALID";

  constructor(message: string) {
    super(message);
    this.name = "VulnAttestationError";
  }
}

/** What registry-guard reads from a vulnerability attestation. */
export interface VulnAttestation {
  /** The scanner's own report (Trivy JSON, Grype JSON), for parseFindingsDocument. */
  result: unknown;
  /** e.g. `pkg:github/aquasecurity/trivy@v0.50.0`. */
  scannerUri?: string;
  /** metadata.scanFinishedOn, as written. */
  finishedAt?: string;
}

const envelopeSchema = z.object({
  payloadType: z.string(),
  payload: z.string().min(1),
});

const statementSchema = z.object({
  _type: z.string().optional(),
  subject: z.array(
    z.object({ name: z.string().optional(), digest: z.record(z.string(), z.string()) }),
  ),
  predicateType: z.string(),
  predicate: z.unknown(),
});

const scannerSchema = z.object({ uri: z.string().optional(), result: z.unknown() });
const predicateSchema = z.object({
  // cosign and Trivy write one `scanner`; the first draft of the spec a `scanners` list.
  scanner: scannerSchema.optional(),
  scanners: z.array(scannerSchema).optional(),
  metadata: z.object({ scanFinishedOn: z.string().optional() }).loose().optional(),
});

/**
 * Reads a cosign vulnerability attestation: a DSSE envelope (`cosign attest --type vuln`, layer
 * media type application/vnd.dsse.envelope.v1+json), or a Sigstore bundle holding one (cosign's
 * bundle format), whose payload is an in-toto statement with the vuln predicate. Null when the
 * statement has another predicate (provenance, SBOM …). The statement must name `subjectDigest`:
 * a scan of another image says nothing about this one. The envelope's signature is not checked
 * here: this reads a report, signature policy is a separate step.
 */
export function readVulnAttestation(doc: unknown, subjectDigest: string): VulnAttestation | null {
  const inner =
    doc && typeof doc === "object" && "dsseEnvelope" in doc
      ? (doc as { dsseEnvelope: unknown }).dsseEnvelope
      : doc;
  const envelope = envelopeSchema.safeParse(inner);
  if (!envelope.success) {
    throw new VulnAttestationError(
      "expected a DSSE envelope (payloadType, payload) or a Sigstore bundle holding one",
    );
  }
  if (envelope.data.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new VulnAttestationError(
      `the envelope carries ${envelope.data.payloadType}, not an in-toto statement (${IN_TOTO_PAYLOAD_TYPE})`,
    );
  }
  let statementJson: unknown;
  try {
    statementJson = JSON.parse(Buffer.from(envelope.data.payload, "base64").toString("utf8"));
  } catch {
    throw new VulnAttestationError("the envelope's payload is not base64-encoded JSON");
  }
  const statement = statementSchema.safeParse(statementJson);
  if (!statement.success) {
    throw new VulnAttestationError(
      "the payload is not an in-toto statement (subject, predicateType)",
    );
  }
  const s = statement.data;
  if (!(COSIGN_VULN_PREDICATE_TYPES as readonly string[]).includes(s.predicateType)) return null;

  const [alg, hex] = subjectDigest.split(":");
  const names = s.subject.some((sub) => alg !== undefined && sub.digest[alg] === hex);
  if (!names) {
    throw new VulnAttestationError(
      `the attestation's subject is not ${subjectDigest}: it reports on another image`,
    );
  }
  const predicate = predicateSchema.safeParse(s.predicate);
  const scanner = predicate.success
    ? (predicate.data.scanner ?? predicate.data.scanners?.[0])
    : undefined;
  if (!predicate.success || !scanner || scanner.result === undefined) {
    throw new VulnAttestationError("the vuln predicate has no scanner.result");
  }
  const finishedAt = predicate.data.metadata?.scanFinishedOn;
  return {
    result: scanner.result,
    ...(scanner.uri ? { scannerUri: scanner.uri } : {}),
    ...(finishedAt ? { finishedAt } : {}),
  };
}
