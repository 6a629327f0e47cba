/** A configured public key cannot be used: unreadable (INVALID) or of a kind we do not verify (UNSUPPORTED). */
export class PublicKeyError extends Error {
  readonly code: "PUBLIC_KEY_INVALID" | "PUBLIC_KEY_UNSUPPORTED";

  constructor(code: PublicKeyError["code"], message: string) {
    super(message);
    this.name = "PublicKeyError";
    this.code = code;
  }
}
