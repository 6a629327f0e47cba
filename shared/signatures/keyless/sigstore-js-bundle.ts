import type { Bundle, TransparencyLogEntry as JsTlogEntry } from "@sigstore/bundle";
import type { SigstoreBundle, TransparencyLogEntry } from "../sigstore-bundle.ts";

type JsVerificationMaterial = Bundle["verificationMaterial"];
type HashAlgorithm = NonNullable<
  Extract<Bundle["content"], { $case: "messageSignature" }>["messageSignature"]["messageDigest"]
>["algorithm"];

/** HashAlgorithm enum numbers of sigstore_common.proto (wire-stable by protobuf's rules). */
const HASH_ALGORITHMS: Record<string, HashAlgorithm> = { SHA2_256: 1, SHA2_384: 2, SHA2_512: 3 };

export const toBuffer = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** A decoded log entry in the shape @sigstore/verify reads (Buffers, `$case` unions). */
export function toJsTlogEntry(e: TransparencyLogEntry): JsTlogEntry {
  return {
    logIndex: e.logIndex,
    logId: { keyId: toBuffer(e.logId) },
    kindVersion: e.kindVersion,
    integratedTime: e.integratedTime,
    inclusionPromise: e.inclusionPromise
      ? { signedEntryTimestamp: toBuffer(e.inclusionPromise.signedEntryTimestamp) }
      : undefined,
    inclusionProof: e.inclusionProof
      ? {
          logIndex: e.inclusionProof.logIndex,
          rootHash: toBuffer(e.inclusionProof.rootHash),
          treeSize: e.inclusionProof.treeSize,
          hashes: e.inclusionProof.hashes.map(toBuffer),
          checkpoint: { envelope: e.inclusionProof.checkpoint },
        }
      : undefined,
    canonicalizedBody: toBuffer(e.canonicalizedBody ?? new Uint8Array()),
  };
}

/**
 * The bundle the key-based reader already decoded (parseSigstoreBundle), re-expressed as the
 * protobuf message @sigstore/verify's toSignedEntity takes. Nothing is re-read from the blob, so
 * both paths verify exactly the same bytes. Null when the bundle holds no certificate.
 */
export function toJsBundle(b: SigstoreBundle): Bundle | null {
  const vm = b.verificationMaterial;
  let content: JsVerificationMaterial["content"];
  if (vm.certificate) {
    content = { $case: "certificate", certificate: { rawBytes: toBuffer(vm.certificate) } };
  } else if (vm.x509CertificateChain && vm.x509CertificateChain.length > 0) {
    content = {
      $case: "x509CertificateChain",
      x509CertificateChain: {
        certificates: vm.x509CertificateChain.map((c) => ({ rawBytes: toBuffer(c) })),
      },
    };
  } else {
    return null;
  }
  const verificationMaterial: JsVerificationMaterial = {
    content,
    tlogEntries: vm.tlogEntries.map(toJsTlogEntry),
    timestampVerificationData:
      vm.rfc3161Timestamps.length > 0
        ? { rfc3161Timestamps: vm.rfc3161Timestamps.map((t) => ({ signedTimestamp: toBuffer(t) })) }
        : undefined,
  };
  if (b.content.kind === "dsse") {
    const env = b.content.envelope;
    return {
      mediaType: b.mediaType,
      verificationMaterial,
      content: {
        $case: "dsseEnvelope",
        dsseEnvelope: {
          payload: toBuffer(env.payload),
          payloadType: env.payloadType,
          signatures: env.signatures.map((s) => ({ sig: toBuffer(s.sig), keyid: s.keyid ?? "" })),
        },
      },
    };
  }
  const md = b.content.messageDigest;
  return {
    mediaType: b.mediaType,
    verificationMaterial,
    content: {
      $case: "messageSignature",
      messageSignature: {
        messageDigest: {
          algorithm: (md && HASH_ALGORITHMS[md.algorithm]) ?? 0,
          digest: toBuffer(md?.digest ?? new Uint8Array()),
        },
        signature: toBuffer(b.content.signature),
      },
    },
  };
}
