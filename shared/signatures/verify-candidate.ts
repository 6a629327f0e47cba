import { checkCriticalType } from "./check-critical-type.ts";
import { checkDockerReference, type ExpectedRepository } from "./check-docker-reference.ts";
import { checkManifestDigest } from "./check-manifest-digest.ts";
import { checkMediaType } from "./check-media-type.ts";
import { checkPayloadSize } from "./check-payload-size.ts";
import { checkPayloadType } from "./check-payload-type.ts";
import { checkPredicateType } from "./check-predicate-type.ts";
import { checkSignature } from "./check-signature.ts";
import { checkStatementSubject } from "./check-statement-subject.ts";
import { dssePae } from "./dsse-pae.ts";
import { parseInTotoStatement } from "./in-toto-statement.ts";
import { messageSignedBytes } from "./message-signed-bytes.ts";
import type {
  DsseCandidate,
  MessageSignatureCandidate,
  SignatureCandidate,
  SimpleSigningCandidate,
} from "./signature-candidate.ts";
import type { SignatureFailure } from "./signature-failure.ts";
import type { SignatureLimits } from "./signature-limits.ts";
import { parseSimpleSigningPayload } from "./simplesigning-payload.ts";
import type { TrustedKey } from "./trusted-key.ts";

/** What the signed claims are checked against, key-based and keyless alike. */
export interface ClaimsContext {
  /** Computed from the fetched manifest bytes, `sha256:<hex>`. */
  imageDigest: string;
  /** Set when the policy asks for `matchReference`. */
  expectedRepository: ExpectedRepository | null;
  acceptedPredicateTypes: readonly string[] | "any";
}

/** Everything a candidate is checked against; prepared once per verification. */
export interface CandidateContext extends BaseCandidateContext {
  keys: readonly TrustedKey[];
}

/** The part of a candidate context that does not depend on what is trusted. */
export interface BaseCandidateContext extends ClaimsContext {
  limits: SignatureLimits;
  /** The image manifest bytes (already checked to hash to imageDigest); for message signatures. */
  imageManifest?: Uint8Array;
}

const isFailure = (v: object): v is SignatureFailure => "code" in v && "message" in v;

/**
 * Runs one candidate through its steps, cheapest refusal first, cryptography before any claim is
 * read (a payload is parsed only once a trusted key vouched for it). The key that verified, or
 * the first step that refused.
 */
export function verifyCandidate(
  candidate: SignatureCandidate,
  ctx: CandidateContext,
): TrustedKey | SignatureFailure {
  if (candidate.format === "rejected") return candidate.failure;
  const mediaType = checkMediaType(candidate);
  if (mediaType) return mediaType;
  switch (candidate.format) {
    case "simplesigning":
      return verifySimpleSigning(candidate, ctx);
    case "dsse":
      return verifyDsse(candidate, ctx);
    case "message-signature":
      return verifyMessageSignature(candidate, ctx);
  }
}

/**
 * The claims of a simple-signing payload, once its signature verified: a cosign signature
 * (critical.type), of this digest, naming this repository when the policy asks. Null when all hold.
 */
export function simpleSigningClaims(
  payloadBytes: Uint8Array,
  ctx: ClaimsContext,
): SignatureFailure | null {
  const payload = parseSimpleSigningPayload(payloadBytes);
  if (isFailure(payload)) return payload;
  return (
    checkCriticalType(payload) ??
    checkManifestDigest(payload, ctx.imageDigest) ??
    referenceClaim(payload.dockerReference, ctx)
  );
}

/**
 * The claims of a DSSE envelope, once its signature verified: an in-toto statement, of an
 * accepted predicate type, about this digest, naming this repository when asked.
 */
export function dsseClaims(
  c: Pick<DsseCandidate, "payloadType" | "payload">,
  ctx: ClaimsContext,
): SignatureFailure | null {
  const payloadType = checkPayloadType(c.payloadType);
  if (payloadType) return payloadType;
  const statement = parseInTotoStatement(c.payload);
  if (isFailure(statement)) return statement;
  const predicate = checkPredicateType(statement, ctx.acceptedPredicateTypes);
  if (predicate) return predicate;
  const subject = checkStatementSubject(statement, ctx.imageDigest);
  if (isFailure(subject)) return subject;
  return referenceClaim(subject.name, ctx);
}

/**
 * The claims of a message signature, once it verified: its messageDigest was checked before the
 * signature (checkMessageDigest); a bare signature over the manifest names no repository, so it
 * fails only when the policy asks for one.
 */
export function messageSignatureClaims(ctx: ClaimsContext): SignatureFailure | null {
  return referenceClaim(undefined, ctx);
}

function referenceClaim(name: string | undefined, ctx: ClaimsContext): SignatureFailure | null {
  return ctx.expectedRepository ? checkDockerReference(name, ctx.expectedRepository) : null;
}

function verifySimpleSigning(
  c: SimpleSigningCandidate,
  ctx: CandidateContext,
): TrustedKey | SignatureFailure {
  const size = checkPayloadSize(c.payload.length, ctx.limits.maxPayloadBytes);
  if (size) return size;
  const key = checkSignature(c.payload, c.signature, ctx.keys);
  if (isFailure(key)) return key;
  return simpleSigningClaims(c.payload, ctx) ?? key;
}

function verifyDsse(c: DsseCandidate, ctx: CandidateContext): TrustedKey | SignatureFailure {
  const size = checkPayloadSize(c.payload.length, ctx.limits.maxPayloadBytes, "DSSE payload");
  if (size) return size;
  const key = checkSignature(dssePae(c.payloadType, c.payload), c.signature, ctx.keys, c.keyHint);
  if (isFailure(key)) return key;
  return dsseClaims(c, ctx) ?? key;
}

function verifyMessageSignature(
  c: MessageSignatureCandidate,
  ctx: CandidateContext,
): TrustedKey | SignatureFailure {
  const signed = messageSignedBytes(c, ctx);
  if (isFailure(signed)) return signed;
  const key = checkSignature(signed, c.signature, ctx.keys, c.keyHint);
  if (isFailure(key)) return key;
  return messageSignatureClaims(ctx) ?? key;
}
