import type { AttestationSignatureCheck } from "../adapters/oci/oci-scan-report.ts";
import type { ScanResult } from "../domain/finding.ts";
import type { ImageRef } from "../domain/image.ts";
import type { Registry } from "../ports.ts";

/**
 * A registry whose scan results can be attached reports (OCI): it can count only the reports
 * whose attestation signature the check accepts (`signatures.requireSignedScanReports`).
 * Optional: a registry that scans images itself (ECR, Harbor) has no attached reports to check.
 */
export interface SignedScanReader {
  getSignedScanResult(ref: ImageRef, check: AttestationSignatureCheck): Promise<ScanResult>;
}

export function signedScanReaderOf(registry: Registry): SignedScanReader | undefined {
  const r = registry as Registry & Partial<SignedScanReader>;
  return typeof r.getSignedScanResult === "function"
    ? (r as Registry & SignedScanReader)
    : undefined;
}
