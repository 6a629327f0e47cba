import { createHash, type X509Certificate } from "node:crypto";
import type { SignatureFailure } from "../signature-failure.ts";
import { failure } from "../signature-failure.ts";
import type { VerifyingIdentity } from "../verification-result.ts";
import { checkNotationCertificateTime } from "./check-notation-certificate-time.ts";
import { checkNotationChain } from "./check-notation-chain.ts";
import { checkNotationContentType } from "./check-notation-content-type.ts";
import { checkNotationCritical } from "./check-notation-critical.ts";
import { checkNotationExpiry } from "./check-notation-expiry.ts";
import { checkNotationIdentity } from "./check-notation-identity.ts";
import { checkNotationPayload } from "./check-notation-payload.ts";
import { checkNotationScheme } from "./check-notation-scheme.ts";
import { checkNotationSignature } from "./check-notation-signature.ts";
import { checkNotationTrustStore, oneLine } from "./check-notation-trust-store.ts";
import type { NotationCandidate } from "./notation-candidate.ts";
import { type NotationEnvelope, NotationEnvelopeError } from "./notation-envelope.ts";
import { NOTATION_COSE_MEDIA_TYPE, SCHEME_X509 } from "./notation-formats.ts";
import type { NotationTrust } from "./notation-trust.ts";
import { parseCoseEnvelope } from "./parse-cose-envelope.ts";
import { parseJwsEnvelope } from "./parse-jws-envelope.ts";

/**
 * One Notation envelope through every check, in notation's order: integrity (envelope, critical
 * headers, content type, signing scheme, the signature with the leaf's key), authenticity (chain,
 * trust store, trusted identity), expiry, the time the chain must be valid at, then the payload
 * against the image. The first refusal is the result.
 */
export function verifyNotationCandidate(
  c: NotationCandidate,
  imageDigest: string,
  trust: NotationTrust,
  now: Date,
): { identity: VerifyingIdentity } | { failure: SignatureFailure } {
  let env: NotationEnvelope;
  try {
    env =
      c.mediaType === NOTATION_COSE_MEDIA_TYPE
        ? parseCoseEnvelope(c.envelope)
        : parseJwsEnvelope(c.envelope);
  } catch (err) {
    if (!(err instanceof NotationEnvelopeError)) throw err;
    return { failure: failure("NOTATION_ENVELOPE_MALFORMED", err.message) };
  }
  const early = checkNotationCritical(env) ?? checkNotationContentType(env);
  if (early) return { failure: early };
  const scheme = checkNotationScheme(env, trust.signingScheme);
  if ("failure" in scheme) return scheme;
  const chain = checkNotationChain(env.certificates);
  if ("failure" in chain) return chain;
  const leaf = chain.chain[0] as X509Certificate;
  const signature = checkNotationSignature(env, leaf);
  if (signature) return { failure: signature };
  const trusted = checkNotationTrustStore(chain.chain, trust.trustStore);
  if ("failure" in trusted) return trusted;
  const admitted = checkNotationIdentity(leaf, trust.trustedIdentities);
  if ("failure" in admitted) return admitted;
  const x509 = scheme.scheme === SCHEME_X509;
  // Without a timestamp countersignature notary.x509's signingTime is the signer's word only.
  const validAt = x509 ? now : (env.authenticSigningTime as Date);
  const late =
    checkNotationExpiry(env, now) ??
    checkNotationCertificateTime(
      trusted.anchored,
      validAt,
      x509 ? "verification time" : "authentic signing time",
    ) ??
    checkNotationPayload(env.payload, imageDigest);
  if (late) return { failure: late };
  const signedAt = (x509 ? env.signingTime : env.authenticSigningTime) as Date;
  return {
    identity: {
      id: createHash("sha256").update(leaf.raw).digest("hex").slice(0, 16),
      issuer: oneLine(leaf.issuer),
      subject: oneLine(leaf.subject),
      ...(admitted.identity.text !== "*" ? { name: admitted.identity.text } : {}),
      signedAt: signedAt.toISOString(),
      timeSource: x509 ? "signer-claimed" : "signing-authority",
      signingScheme: scheme.scheme,
    },
  };
}
