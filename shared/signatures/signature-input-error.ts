/**
 * The caller handed the verifier something unusable (no keys, a malformed digest, manifest bytes
 * that do not hash to the image digest). Bad input, not an unsigned image: the CLI exits 2 and
 * the pipeline decides nothing.
 */
export class SignatureInputError extends Error {
  readonly code = "SIGNATURE_INPUT_INVALID";

  constructor(message: string) {
    super(message);
    this.name = "SignatureInputError";
  }
}
