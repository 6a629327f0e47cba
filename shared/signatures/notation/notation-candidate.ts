import type { CandidateOrigin } from "../signature-candidate.ts";

/**
 * A Notation signature envelope as a source found it: the blob of a referrer whose artifactType
 * is application/vnd.cncf.notary.signature, its bytes checked against the layer digest but not
 * parsed yet (parsing is part of verification, so a malformed one is reported like any refusal).
 */
export interface NotationCandidate extends CandidateOrigin {
  format: "notation";
  /** application/jose+json or application/cose. */
  mediaType: string;
  envelope: Uint8Array;
}
