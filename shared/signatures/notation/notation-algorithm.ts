import { constants, type KeyObject, verify } from "node:crypto";

/** The algorithms the Notary Project allows, by their JWS names. */
export type NotationAlgorithm = "PS256" | "PS384" | "PS512" | "ES256" | "ES384" | "ES512";

/** COSE `alg` labels (IANA) of the same algorithms (signature-envelope-cose.md). */
export const COSE_ALGORITHMS: ReadonlyMap<number, NotationAlgorithm> = new Map([
  [-37, "PS256"],
  [-38, "PS384"],
  [-39, "PS512"],
  [-7, "ES256"],
  [-35, "ES384"],
  [-36, "ES512"],
]);

export const JWS_ALGORITHMS: readonly NotationAlgorithm[] = [
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
];

const HASH: Record<NotationAlgorithm, string> = {
  PS256: "sha256",
  PS384: "sha384",
  PS512: "sha512",
  ES256: "sha256",
  ES384: "sha384",
  ES512: "sha512",
};

/** Bytes of one ECDSA coordinate: the signature is r || s (IEEE P1363), as JWS and COSE write it. */
const EC_COORDINATE: Partial<Record<NotationAlgorithm, number>> = {
  ES256: 32,
  ES384: 48,
  ES512: 66,
};

/**
 * The one algorithm the spec's algorithm selection gives a signing key: RSA 2048/3072/4096 →
 * PS256/384/512, EC P-256/P-384/P-521 → ES256/384/512. Anything else (RSA 1024, Ed25519) is not
 * a Notation key: null.
 */
export function algorithmForKey(key: KeyObject): NotationAlgorithm | null {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === "rsa" || key.asymmetricKeyType === "rsa-pss") {
    return d.modulusLength === 2048
      ? "PS256"
      : d.modulusLength === 3072
        ? "PS384"
        : d.modulusLength === 4096
          ? "PS512"
          : null;
  }
  if (key.asymmetricKeyType === "ec") {
    return d.namedCurve === "prime256v1"
      ? "ES256"
      : d.namedCurve === "secp384r1"
        ? "ES384"
        : d.namedCurve === "secp521r1"
          ? "ES512"
          : null;
  }
  return null;
}

/** Verifies `signature` over `data`; false for a signature of the wrong shape, never throws. */
export function verifyNotationSignature(
  alg: NotationAlgorithm,
  key: KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  const coordinate = EC_COORDINATE[alg];
  if (coordinate !== undefined && signature.length !== 2 * coordinate) return false;
  try {
    return coordinate !== undefined
      ? verify(HASH[alg], data, { key, dsaEncoding: "ieee-p1363" }, signature)
      : verify(
          HASH[alg],
          data,
          // Notation signs with a salt as long as the hash (RFC 7518 3.5); AUTO also accepts it.
          {
            key,
            padding: constants.RSA_PKCS1_PSS_PADDING,
            saltLength: constants.RSA_PSS_SALTLEN_AUTO,
          },
          signature,
        );
  } catch {
    return false;
  }
}
