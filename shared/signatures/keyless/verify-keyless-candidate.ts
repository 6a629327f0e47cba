import { createHash } from "node:crypto";
import type { Bundle } from "@sigstore/bundle";
import { X509Certificate } from "@sigstore/core";
import { type SignedEntity, toSignedEntity, type Verifier } from "@sigstore/verify";
import { checkMediaType } from "../check-media-type.ts";
import { checkPayloadSize } from "../check-payload-size.ts";
import { messageSignedBytes } from "../message-signed-bytes.ts";
import type { SignatureCandidate } from "../signature-candidate.ts";
import { failure, type SignatureFailure } from "../signature-failure.ts";
import type { VerifyingIdentity } from "../verification-result.ts";
import type { BaseCandidateContext } from "../verify-candidate.ts";
import {
  type CertificateIdentity,
  describeIdentity,
  matchIdentity,
} from "./certificate-identity.ts";
import { checkSignedClaims } from "./check-signed-claims.ts";
import { checkTlogCertificate } from "./check-tlog-certificate.ts";
import { LEGACY_TLOG_HINT, legacyKeylessBundle } from "./legacy-keyless-bundle.ts";
import { toJsBundle } from "./sigstore-js-bundle.ts";
import { failureFromVerifyError } from "./verify-error-failure.ts";

/** Everything a keyless candidate is checked against; prepared once per verification. */
export interface KeylessContext extends BaseCandidateContext {
  /** @sigstore/verify's verifier over the policy's trusted root: no network, ever. */
  verifier: Verifier;
  identities: readonly CertificateIdentity[];
  requireTlog: boolean;
}

const NOT_KEYLESS = failure(
  "CERTIFICATE_MISSING",
  "the bundle names a public key, not a Fulcio certificate: it is a key-based signature",
);

/**
 * One candidate through the keyless steps, cheapest refusal first: media type, size, keyless
 * material present; then @sigstore/verify (signing time, certificate chain and SCT at that time,
 * log inclusion and body, signature by the leaf's key); then the log entry names this leaf; then
 * the identity; then the same claims the key-based path checks. Returns who signed, or the
 * first step that refused.
 */
export function verifyKeylessCandidate(
  c: SignatureCandidate,
  ctx: KeylessContext,
): VerifyingIdentity | SignatureFailure {
  if (c.format === "rejected") return c.failure;
  const mediaType = checkMediaType(c);
  if (mediaType) return mediaType;

  let bundle: Bundle | SignatureFailure | null;
  let artifact: Uint8Array | undefined;
  switch (c.format) {
    case "simplesigning": {
      const size = checkPayloadSize(c.payload.length, ctx.limits.maxPayloadBytes);
      if (size) return size;
      bundle = legacyKeylessBundle(c);
      artifact = c.payload;
      break;
    }
    case "dsse": {
      const size = checkPayloadSize(c.payload.length, ctx.limits.maxPayloadBytes, "DSSE payload");
      if (size) return size;
      bundle = toJsBundle(c.bundle);
      break;
    }
    case "message-signature": {
      const signed = messageSignedBytes(c, ctx);
      if ("code" in signed) return signed;
      bundle = toJsBundle(c.bundle);
      artifact = signed;
      break;
    }
  }
  if (bundle === null) return NOT_KEYLESS;
  if ("code" in bundle) return bundle;

  const tlogEntries = bundle.verificationMaterial.tlogEntries;
  if (ctx.requireTlog && tlogEntries.length === 0) {
    return failure(
      "TLOG_MISSING",
      `no transparency-log entry, and the policy requires one${c.format === "simplesigning" ? ` (${LEGACY_TLOG_HINT})` : ""}`,
    );
  }
  const leafDer = leafOf(bundle);
  let leaf: X509Certificate;
  try {
    leaf = X509Certificate.parse(Buffer.from(leafDer));
    // Reading the validity walks the TBS structure: a truncated certificate fails here, not later.
    void leaf.notAfter;
  } catch {
    return failure("CERTIFICATE_MALFORMED", "the signing certificate is not DER X.509");
  }
  let entity: SignedEntity;
  try {
    entity = toSignedEntity(bundle, artifact ? Buffer.from(artifact) : undefined);
  } catch (err) {
    return failure(
      "TIMESTAMP_INVALID",
      `a timestamp of the signature is unreadable: ${(err as Error).message}`,
    );
  }
  const claimedTimes = signingTimes(entity);
  let signer: ReturnType<Verifier["verify"]>;
  try {
    signer = ctx.verifier.verify(entity);
  } catch (err) {
    return failureFromVerifyError(
      err,
      leaf,
      claimedTimes.map((t) => t.time),
    );
  }
  const tlogCert = checkTlogCertificate(
    tlogEntries.map((e) => e.canonicalizedBody),
    leafDer,
  );
  if (tlogCert) return tlogCert;

  const issuer = signer.identity?.extensions?.issuer;
  const subject = signer.identity?.subjectAlternativeName;
  const matched = matchIdentity(ctx.identities, { issuer, subject });
  if (!matched || issuer === undefined || subject === undefined) {
    return failure(
      "IDENTITY_MISMATCH",
      `the certificate was issued to ${JSON.stringify(subject ?? "(no email or URI)")} by ${JSON.stringify(issuer ?? "(no OIDC issuer)")}, which matches none of the trusted identities (${ctx.identities.map(describeIdentity).join("; ")})`,
    );
  }
  const claims = checkSignedClaims(c, ctx);
  if (claims) return claims;

  // Verified times only: the verifier has checked every SET and TSA token by now.
  const first = claimedTimes.reduce<SigningTime | undefined>(
    (a, b) => (a === undefined || b.time < a.time ? b : a),
    undefined,
  );
  if (!first) return failure("TIMESTAMP_INVALID", "no verified signing time");
  const entry = tlogEntries.find((e) => e.inclusionPromise);
  return {
    id: createHash("sha256").update(leafDer).digest("hex").slice(0, 16),
    issuer,
    subject,
    ...(matched.name ? { name: matched.name } : {}),
    signedAt: first.time.toISOString(),
    timeSource: first.source,
    ...(entry ? { logIndex: entry.logIndex } : {}),
  };
}

function leafOf(bundle: Bundle): Uint8Array {
  const content = bundle.verificationMaterial.content;
  if (content.$case === "certificate") return content.certificate.rawBytes;
  if (content.$case === "x509CertificateChain") {
    return content.x509CertificateChain.certificates[0]?.rawBytes ?? new Uint8Array();
  }
  return new Uint8Array();
}

/**
 * The signing times the entity claims, as @sigstore/verify counts them: a log entry's
 * integrated time when it carries a SET, a TSA token's time. Verified by verifier.verify.
 */
type SigningTime = { time: Date; source: VerifyingIdentity["timeSource"] };

function signingTimes(entity: SignedEntity): SigningTime[] {
  return entity.timestamps.flatMap((t): SigningTime[] => {
    if (t.$case === "timestamp-authority") {
      return [{ time: t.timestamp.signingTime, source: "timestamp-authority" }];
    }
    if (!t.tlogEntry.inclusionPromise) return [];
    return [
      { time: new Date(Number(t.tlogEntry.integratedTime) * 1000), source: "transparency-log" },
    ];
  });
}
