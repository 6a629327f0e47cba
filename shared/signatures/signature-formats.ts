/**
 * The wire formats cosign writes, as named by its specs (specs/SIGNATURE_SPEC.md,
 * specs/BUNDLE_SPEC.md), sigstore/sigstore's payload package, the Sigstore bundle protobuf specs
 * and the in-toto attestation framework. One place, so a parser and a step never disagree.
 */

/** Layer media type of a legacy cosign signature payload (simple signing JSON). */
export const SIMPLESIGNING_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json";

/** Layer annotation holding the base64 (standard alphabet) signature over the layer's bytes. */
export const COSIGN_SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";
/** Keyless material cosign may add to a legacy layer; kept for the keyless verifier. */
export const COSIGN_CERTIFICATE_ANNOTATION = "dev.sigstore.cosign/certificate";
export const COSIGN_CHAIN_ANNOTATION = "dev.sigstore.cosign/chain";
export const COSIGN_REKOR_BUNDLE_ANNOTATION = "dev.sigstore.cosign/bundle";
export const COSIGN_RFC3161_ANNOTATION = "dev.sigstore.cosign/rfc3161timestamp";

/** `critical.type` of every cosign image signature payload. */
export const COSIGN_SIGNATURE_TYPE = "cosign container image signature";

/**
 * artifactType (and config media type) of cosign's experimental OCI 1.1 signature referrer: the
 * legacy simple-signing layers, attached with a `subject` instead of a `.sig` tag.
 */
export const COSIGN_SIGNATURE_ARTIFACT_TYPE = "application/vnd.dev.cosign.artifact.sig.v1+json";

/** Sigstore bundle v0.3: the layer media type cosign writes, and the alias the spec allows. */
export const SIGSTORE_BUNDLE_V03_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json";
export const SIGSTORE_BUNDLE_V03_MEDIA_TYPES: readonly string[] = [
  SIGSTORE_BUNDLE_V03_MEDIA_TYPE,
  "application/vnd.dev.sigstore.bundle+json;version=0.3",
];

/** DSSE payload type of an in-toto statement. */
export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";
/** Statement `_type`s: v1 (cosign sign, new bundle format) and v0.1 (cosign attest, older). */
export const IN_TOTO_STATEMENT_TYPES: readonly string[] = [
  "https://in-toto.io/Statement/v1",
  "https://in-toto.io/Statement/v0.1",
];

/** predicateType of `cosign sign --new-bundle-format`: "this image is signed", nothing more. */
export const COSIGN_SIGN_PREDICATE_TYPE = "https://sigstore.dev/cosign/sign/v1";
