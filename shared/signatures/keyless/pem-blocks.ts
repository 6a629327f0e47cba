import { decodeStdBase64 } from "../base64-strict.ts";

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

/** The PEM blocks of a text, in order, decoded; null when a block's body is not base64. */
export function pemBlocks(text: string): { type: string; der: Uint8Array }[] | null {
  const out: { type: string; der: Uint8Array }[] = [];
  for (const m of text.matchAll(PEM_BLOCK)) {
    const der = decodeStdBase64((m[2] as string).replace(/\s+/g, ""));
    if (!der) return null;
    out.push({ type: m[1] as string, der });
  }
  return out;
}
