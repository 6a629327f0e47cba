/**
 * DSSE v1 Pre-Authentication Encoding, what a DSSE signature covers:
 * "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in bytes as ASCII decimals
 * (secure-systems-lab/dsse protocol.md). Signing the type too is what stops a payload of one type
 * from being replayed as another.
 */
export function dssePae(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = Buffer.from(payloadType, "utf8");
  const head = Buffer.from(`DSSEv1 ${type.length} `, "ascii");
  const mid = Buffer.from(` ${payload.length} `, "ascii");
  return Buffer.concat([head, type, mid, payload]);
}
