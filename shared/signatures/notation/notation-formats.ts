/**
 * The Notary Project's wire names, from its specifications (specs/signature-specification.md,
 * signature-envelope-jws.md, signature-envelope-cose.md, signing-scheme.md). One place, so a
 * parser and a check never disagree.
 */

/** artifactType (or, in older signatures, config media type) of a Notation signature manifest. */
export const NOTATION_ARTIFACT_TYPE = "application/vnd.cncf.notary.signature";

/** Envelope blob media types: JWS JSON serialization and COSE_Sign1_Tagged. */
export const NOTATION_JWS_MEDIA_TYPE = "application/jose+json";
export const NOTATION_COSE_MEDIA_TYPE = "application/cose";
export const NOTATION_ENVELOPE_MEDIA_TYPES: readonly string[] = [
  NOTATION_JWS_MEDIA_TYPE,
  NOTATION_COSE_MEDIA_TYPE,
];

/** `cty` of the signed payload `{ targetArtifact: descriptor }`. */
export const NOTATION_PAYLOAD_CONTENT_TYPE = "application/vnd.cncf.notary.payload.v1+json";

export const HEADER_SIGNING_SCHEME = "io.cncf.notary.signingScheme";
export const HEADER_SIGNING_TIME = "io.cncf.notary.signingTime";
export const HEADER_AUTHENTIC_SIGNING_TIME = "io.cncf.notary.authenticSigningTime";
export const HEADER_EXPIRY = "io.cncf.notary.expiry";

/** The signing schemes the spec defines; AWS Signer signs under signingAuthority. */
export const SCHEME_X509 = "notary.x509";
export const SCHEME_SIGNING_AUTHORITY = "notary.x509.signingAuthority";
export type NotationSigningScheme = typeof SCHEME_X509 | typeof SCHEME_SIGNING_AUTHORITY;
export const NOTATION_SIGNING_SCHEMES: readonly NotationSigningScheme[] = [
  SCHEME_X509,
  SCHEME_SIGNING_AUTHORITY,
];

/** Extended key usage every Notation leaf must allow when it lists any (RFC 5280 4.2.1.12). */
export const CODE_SIGNING_EKU = "1.3.6.1.5.5.7.3.3";
