import type { NotationAlgorithm } from "./notation-algorithm.ts";

/**
 * A parsed Notation envelope, JWS or COSE alike: what the checks read. Only the protected
 * (signed) header is trusted; the certificate chain is unsigned but proven by the chain checks.
 */
export interface NotationEnvelope {
  envelope: "jws" | "cose";
  alg: NotationAlgorithm;
  /** Exactly the bytes the signature covers (JWS signing input, COSE Sig_structure). */
  signingInput: Uint8Array;
  signature: Uint8Array;
  /** The payload bytes as signed. */
  payload: Uint8Array;
  /** The protected header, as parsed: names of every header present, and the ones we read. */
  protectedHeaders: ReadonlySet<string>;
  crit: readonly string[];
  contentType?: string;
  signingScheme?: string;
  signingTime?: Date;
  authenticSigningTime?: Date;
  expiry?: Date;
  /** DER certificates, leaf first (JWS `header.x5c`, COSE `x5chain`). */
  certificates: readonly Uint8Array[];
}

/** A header's value was present but not the type the spec gives it. */
export class NotationEnvelopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotationEnvelopeError";
  }
}
