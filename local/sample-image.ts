import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import type { OciClient } from "../shared/adapters/oci/oci-client.ts";
import { OCI_MANIFEST } from "../shared/adapters/oci/oci-manifest-content.ts";
import { sha256, uploadBlob, uploadManifest } from "./oci-upload.ts";

/** A one-file ustar archive. */
export function tarOf(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  const put = (s: string, at: number) => header.write(s, at, "ascii");
  put(name, 0);
  put("0000644\0", 100);
  put("0000000\0", 108);
  put("0000000\0", 116);
  put(`${content.length.toString(8).padStart(11, "0")}\0`, 124);
  put(`${"0".repeat(11)}\0`, 136);
  put("        ", 148); // checksum field counts as spaces while summing
  put("0", 156);
  put("ustar\0", 257);
  put("00", 263);
  let sum = 0;
  for (const b of header) sum += b;
  put(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  const pad = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, pad, Buffer.alloc(1024)]);
}

export interface SampleImage {
  repository: string;
  digest: string;
  tags: string[];
}

/**
 * Pushes a small real image (one gzipped layer holding one file with random bytes, so every
 * call is a new digest; an OCI config; an OCI manifest), by digest and under each tag.
 */
export async function pushSampleImage(
  client: OciClient,
  repository: string,
  tags: string[],
  fileBytes = 64,
): Promise<SampleImage> {
  const tar = tarOf("hello.txt", randomBytes(fileBytes));
  const layer = await uploadBlob(
    client,
    repository,
    gzipSync(tar),
    "application/vnd.oci.image.layer.v1.tar+gzip",
  );
  const config = await uploadBlob(
    client,
    repository,
    Buffer.from(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        config: {},
        rootfs: { type: "layers", diff_ids: [sha256(tar)] },
        history: [{ created_by: "registry-guard sample image" }],
      }),
    ),
    "application/vnd.oci.image.config.v1+json",
  );
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [layer] }),
  );
  const first = tags[0] ?? "by-digest";
  const { digest } = await uploadManifest(client, repository, first, manifest, OCI_MANIFEST);
  for (const tag of tags.slice(1)) {
    await uploadManifest(client, repository, tag, manifest, OCI_MANIFEST);
  }
  return { repository, digest, tags };
}
