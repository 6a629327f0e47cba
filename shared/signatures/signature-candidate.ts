import type { SignatureFailure } from "./signature-failure.ts";
import type { SignatureSource } from "./signature-source.ts";
import type { SigstoreBundle } from "./sigstore-bundle.ts";

/** Which layer of which signature manifest a candidate came from. */
export interface CandidateOrigin {
  source: SignatureSource;
  /** Position in the manifest's `layers`; absent when the whole manifest was refused. */
  layerIndex?: number;
  layerDigest?: string;
  mediaType?: string;
  /** Bytes of the layer blob as fetched (declared size when it was not fetched). */
  size?: number;
}

/** A legacy cosign signature: the exact payload blob and the signature over it. */
export interface SimpleSigningCandidate extends CandidateOrigin {
  format: "simplesigning";
  mediaType: string;
  payload: Uint8Array;
  signature: Uint8Array;
  /** Keyless material cosign may have annotated the layer with (PEM / JSON text, unverified). */
  keyless: {
    certificatePem?: string;
    chainPem?: string;
    rekorBundle?: string;
    rfc3161Timestamp?: string;
  };
}

/** A bundle holding a DSSE envelope: the signature covers PAE(payloadType, payload). */
export interface DsseCandidate extends CandidateOrigin {
  format: "dsse";
  mediaType: string;
  payloadType: string;
  /** The envelope's payload, decoded: the exact bytes that were signed (inside the PAE). */
  payload: Uint8Array;
  signature: Uint8Array;
  /** The bundle's unauthenticated key hint, used only to try that key first. */
  keyHint?: string;
  bundle: SigstoreBundle;
}

/**
 * A bundle holding a message signature (hashedrekord style) whose artifact is the image: the
 * signature covers the image manifest bytes, messageDigest names their sha256.
 */
export interface MessageSignatureCandidate extends CandidateOrigin {
  format: "message-signature";
  mediaType: string;
  messageDigest?: { algorithm: string; digest: Uint8Array };
  signature: Uint8Array;
  keyHint?: string;
  bundle: SigstoreBundle;
}

/** Refused before any cryptography (wrong media type, too big, unreadable): kept for the report. */
export interface RejectedCandidate extends CandidateOrigin {
  format: "rejected";
  failure: SignatureFailure;
}

export type SignatureCandidate =
  | SimpleSigningCandidate
  | DsseCandidate
  | MessageSignatureCandidate
  | RejectedCandidate;
