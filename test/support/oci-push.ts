// Pushes small real images and artifacts through the OCI distribution API, independently of the
// adapter under test: its own tiny HTTP client (Basic, and the bearer-token dance), its own
// digests. A layer is a real gzipped tar holding one random file, so the image is pullable.
import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { gzipSync } from "node:zlib";

export interface PushTarget {
  url: string;
  credentials?: { username: string; password: string };
  ca?: string;
}

export interface Blob {
  mediaType: string;
  digest: string;
  size: number;
}

export interface PushedImage {
  repository: string;
  digest: string;
  mediaType: string;
  manifest: Buffer;
  size: number;
  config: Blob;
  layers: Blob[];
  tags: string[];
}

export interface PushedIndex extends PushedImage {
  children: PushedImage[];
}

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
export const OCI_EMPTY = "application/vnd.oci.empty.v1+json";

export function sha256(bytes: Buffer | string): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

const tokens = new Map<string, string>();

/** One registry request, answering a Basic or Bearer challenge once. */
export async function registryRequest(
  t: PushTarget,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: Buffer } = {},
): Promise<RawResponse> {
  const url = new URL(path, t.url);
  const key = `${t.url} ${method} ${url.pathname}`;
  const cached = tokens.get(key);
  let res = await raw(
    t,
    method,
    url,
    {
      ...opts.headers,
      ...(cached ? { authorization: cached } : {}),
    },
    opts.body,
  );
  if (res.status === 401 && t.credentials) {
    const authorization = await answerChallenge(t, String(res.headers["www-authenticate"] ?? ""));
    tokens.set(key, authorization);
    res = await raw(t, method, url, { ...opts.headers, authorization }, opts.body);
  }
  return res;
}

async function answerChallenge(t: PushTarget, challenge: string): Promise<string> {
  const c = t.credentials as { username: string; password: string };
  const basic = `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}`;
  if (!/^bearer /i.test(challenge)) return basic;
  const param = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(challenge)?.[1];
  const realm = new URL(param("realm") ?? "");
  realm.searchParams.set("service", param("service") ?? "");
  for (const s of (param("scope") ?? "").split(" ").filter(Boolean)) {
    realm.searchParams.append("scope", s);
  }
  const res = await raw(t, "GET", realm, { authorization: basic });
  if (res.status !== 200) throw new Error(`token service answered ${res.status}`);
  const json = JSON.parse(res.body.toString()) as { token?: string; access_token?: string };
  return `Bearer ${json.token ?? json.access_token}`;
}

function raw(
  t: PushTarget,
  method: string,
  url: URL,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === "https:";
    const req = (secure ? https : http).request(
      url,
      {
        method,
        headers: { ...headers, "content-length": String(body?.length ?? 0) },
        ...(secure && t.ca ? { ca: t.ca } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

function expectStatus(res: RawResponse, ok: number[], what: string): void {
  if (!ok.includes(res.status)) {
    throw new Error(`${what}: HTTP ${res.status} ${res.body.toString().slice(0, 300)}`);
  }
}

/** Monolithic upload: POST a session, PUT the bytes with ?digest=. */
export async function pushBlob(
  t: PushTarget,
  repository: string,
  bytes: Buffer,
  mediaType: string,
): Promise<Blob> {
  const digest = sha256(bytes);
  const start = await registryRequest(t, "POST", `/v2/${repository}/blobs/uploads/`);
  expectStatus(start, [202], `start upload to ${repository}`);
  const location = new URL(String(start.headers.location), t.url);
  location.searchParams.set("digest", digest);
  const put = await registryRequest(t, "PUT", location.href, {
    headers: { "content-type": "application/octet-stream" },
    body: bytes,
  });
  expectStatus(put, [201], `upload ${digest} to ${repository}`);
  return { mediaType, digest, size: bytes.length };
}

export async function pushManifest(
  t: PushTarget,
  repository: string,
  reference: string,
  manifest: Buffer,
  mediaType: string,
): Promise<string> {
  const res = await registryRequest(t, "PUT", `/v2/${repository}/manifests/${reference}`, {
    headers: { "content-type": mediaType },
    body: manifest,
  });
  expectStatus(res, [201], `put manifest ${repository}:${reference}`);
  return sha256(manifest);
}

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
  put("        ", 148);
  put("0", 156);
  put("ustar\0", 257);
  put("00", 263);
  let sum = 0;
  for (const b of header) sum += b;
  put(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  const pad = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, pad, Buffer.alloc(1024)]);
}

/** Pushes an image: one random gzipped layer, its config, an OCI manifest; tagged as asked. */
export async function pushImage(
  t: PushTarget,
  repository: string,
  opts: {
    tags?: string[];
    platform?: { os: string; architecture: string };
    fileBytes?: number;
  } = {},
): Promise<PushedImage> {
  const platform = opts.platform ?? { os: "linux", architecture: "amd64" };
  const tar = tarOf("hello.txt", randomBytes(opts.fileBytes ?? 64));
  const layer = await pushBlob(
    t,
    repository,
    gzipSync(tar),
    "application/vnd.oci.image.layer.v1.tar+gzip",
  );
  const config = Buffer.from(
    JSON.stringify({
      ...platform,
      config: {},
      rootfs: { type: "layers", diff_ids: [sha256(tar)] },
      history: [{ created_by: "registry-guard test" }],
    }),
  );
  const cfg = await pushBlob(t, repository, config, "application/vnd.oci.image.config.v1+json");
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: cfg, layers: [layer] }),
  );
  const tags = opts.tags ?? [];
  const digest = await pushManifest(t, repository, sha256(manifest), manifest, OCI_MANIFEST);
  for (const tag of tags) await pushManifest(t, repository, tag, manifest, OCI_MANIFEST);
  return {
    repository,
    digest,
    mediaType: OCI_MANIFEST,
    manifest,
    size: manifest.length,
    config: cfg,
    layers: [layer],
    tags,
  };
}

/** Pushes a multi-platform image: a child image per platform, then the index over them. */
export async function pushIndex(
  t: PushTarget,
  repository: string,
  opts: { tags?: string[]; platforms?: { os: string; architecture: string }[] } = {},
): Promise<PushedIndex> {
  const platforms = opts.platforms ?? [
    { os: "linux", architecture: "amd64" },
    { os: "linux", architecture: "arm64" },
  ];
  const children: PushedImage[] = [];
  for (const platform of platforms) children.push(await pushImage(t, repository, { platform }));
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: children.map((c, i) => ({
        mediaType: OCI_MANIFEST,
        digest: c.digest,
        size: c.size,
        platform: platforms[i],
      })),
    }),
  );
  const tags = opts.tags ?? [];
  const digest = await pushManifest(t, repository, sha256(index), index, OCI_INDEX);
  for (const tag of tags) await pushManifest(t, repository, tag, index, OCI_INDEX);
  return {
    repository,
    digest,
    mediaType: OCI_INDEX,
    manifest: index,
    size: index.length,
    config: { mediaType: "", digest: "", size: 0 },
    layers: [],
    children,
    tags,
  };
}

export interface ArtifactLayer {
  mediaType: string;
  bytes: Buffer;
  annotations?: Record<string, string>;
}

/**
 * Attaches an artifact to `subject` the way clients do on a registry without the referrers API:
 * push its blobs and its manifest (with `subject`), then add it to the image index tagged
 * `sha256-<hex>` (the referrers tag schema), creating that index when it is missing.
 */
export async function attachArtifact(
  t: PushTarget,
  repository: string,
  subject: Pick<PushedImage, "digest" | "mediaType" | "size">,
  opts: { artifactType: string; layers: ArtifactLayer[]; annotations?: Record<string, string> },
): Promise<string> {
  const empty = await pushBlob(t, repository, Buffer.from("{}"), OCI_EMPTY);
  const layers: (Blob & { annotations?: Record<string, string> })[] = [];
  for (const l of opts.layers) {
    const b = await pushBlob(t, repository, l.bytes, l.mediaType);
    layers.push({ ...b, ...(l.annotations ? { annotations: l.annotations } : {}) });
  }
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: opts.artifactType,
      config: empty,
      layers,
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
    }),
  );
  const digest = await pushManifest(t, repository, sha256(manifest), manifest, OCI_MANIFEST);
  const tag = subject.digest.replace(":", "-");
  const current = await registryRequest(t, "GET", `/v2/${repository}/manifests/${tag}`, {
    headers: { accept: OCI_INDEX },
  });
  const index =
    current.status === 200
      ? (JSON.parse(current.body.toString()) as { manifests: unknown[] })
      : { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] as unknown[] };
  index.manifests.push({
    mediaType: OCI_MANIFEST,
    digest,
    size: manifest.length,
    artifactType: opts.artifactType,
    ...(opts.annotations ? { annotations: opts.annotations } : {}),
  });
  await pushManifest(t, repository, tag, Buffer.from(JSON.stringify(index)), OCI_INDEX);
  return digest;
}

/** A DSSE envelope around an in-toto statement (the signature is a placeholder). */
export function dsseEnvelope(statement: object): Buffer {
  return Buffer.from(
    JSON.stringify({
      payloadType: "application/vnd.in-toto+json",
      payload: Buffer.from(JSON.stringify(statement)).toString("base64"),
      signatures: [{ keyid: "", sig: randomBytes(64).toString("base64") }],
    }),
  );
}

/**
 * cosign's attestation layout (`cosign attest`): an image manifest tagged `sha256-<hex>.att`
 * whose layers are DSSE envelopes, each annotated with its predicate type.
 */
export async function pushCosignAttestations(
  t: PushTarget,
  repository: string,
  subjectDigest: string,
  attestations: { predicateType: string; envelope: Buffer }[],
): Promise<string> {
  const config = await pushBlob(
    t,
    repository,
    Buffer.from(
      JSON.stringify({
        architecture: "",
        os: "",
        config: {},
        rootfs: { type: "layers", diff_ids: [] },
      }),
    ),
    "application/vnd.oci.image.config.v1+json",
  );
  const layers: unknown[] = [];
  for (const a of attestations) {
    const b = await pushBlob(t, repository, a.envelope, "application/vnd.dsse.envelope.v1+json");
    layers.push({ ...b, annotations: { predicateType: a.predicateType } });
  }
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers }),
  );
  return pushManifest(
    t,
    repository,
    `${subjectDigest.replace(":", "-")}.att`,
    manifest,
    OCI_MANIFEST,
  );
}

/** The status of GET manifest by tag or digest: what a pull would meet. */
export async function pullStatus(
  t: PushTarget,
  repository: string,
  reference: string,
): Promise<number> {
  const res = await registryRequest(t, "GET", `/v2/${repository}/manifests/${reference}`, {
    headers: { accept: [OCI_MANIFEST, OCI_INDEX].join(", ") },
  });
  return res.status;
}

/** A repository's tags as the registry lists them. */
export async function listedTags(t: PushTarget, repository: string): Promise<string[]> {
  const res = await registryRequest(t, "GET", `/v2/${repository}/tags/list`);
  if (res.status === 404) return [];
  const json = JSON.parse(res.body.toString()) as { tags: string[] | null };
  return [...(json.tags ?? [])].sort();
}
