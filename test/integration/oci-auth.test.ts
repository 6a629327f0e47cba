import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OciRegistryError } from "../../shared/adapters/oci/oci-errors.ts";
import { OciRegistry } from "../../shared/adapters/oci/oci-registry.ts";
import type { ImageRef } from "../../shared/domain/image.ts";
import { type LocalRegistry, startLocalRegistry } from "../support/local-registry.ts";
import { type PushedImage, type PushTarget, pullStatus, pushImage } from "../support/oci-push.ts";

const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;

function refOf(reg: LocalRegistry, img: PushedImage): ImageRef {
  return {
    registry: "oci",
    registryId: reg.host,
    repository: img.repository,
    digest: img.digest,
    tags: [],
  };
}

async function failure(p: Promise<unknown>): Promise<OciRegistryError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OciRegistryError);
  return err as OciRegistryError;
}

function expectNoSecrets(err: Error, password: string): void {
  const basic = Buffer.from(`guard:${password}`).toString("base64");
  const text = `${err.message} ${String((err as { cause?: unknown }).cause ?? "")}`;
  expect(text).not.toContain(password);
  expect(text).not.toContain(basic);
  expect(text).not.toMatch(JWT);
}

describe("a registry with HTTP Basic auth (htpasswd)", () => {
  let reg: LocalRegistry;
  let target: PushTarget;
  let password: string;

  beforeAll(async () => {
    reg = await startLocalRegistry({ auth: "basic" });
    if (!reg.credentials) throw new Error("no credentials");
    password = reg.credentials.password;
    target = { url: reg.url, credentials: reg.credentials };
  });
  afterAll(async () => reg?.stop());

  it("works with the right credentials: resolve, quarantine, release", async () => {
    const registry = new OciRegistry({ url: reg.url, credentials: reg.credentials });
    try {
      const img = await pushImage(target, "private/app", { tags: ["v1"] });
      expect(await pullStatus({ url: reg.url }, "private/app", "v1")).toBe(401);
      expect((await registry.resolveImage(refOf(reg, img)))?.ref.tags).toEqual(["v1"]);
      await registry.quarantine(refOf(reg, img));
      expect(await pullStatus(target, "private/app", "v1")).toBe(404);
      await registry.release(refOf(reg, img));
      expect(await pullStatus(target, "private/app", "v1")).toBe(200);
    } finally {
      registry.close();
    }
  });

  it("fails clearly with a wrong password, without showing it", async () => {
    const wrong = `${password}-wrong`;
    const registry = new OciRegistry({
      url: reg.url,
      credentials: { username: "guard", password: wrong },
    });
    try {
      const img = await pushImage(target, "private/app2");
      const err = await failure(registry.resolveImage(refOf(reg, img)));
      expect(err.code).toBe("OCI_AUTH_FAILED");
      expect(err.status).toBe(401);
      expect(err.message).toContain('rejected the credentials of user "guard"');
      expectNoSecrets(err, wrong);
    } finally {
      registry.close();
    }
  });

  it("says that credentials are needed when none are configured", async () => {
    const registry = new OciRegistry({ url: reg.url });
    try {
      const img = await pushImage(target, "private/app3");
      const err = await failure(registry.resolveImage(refOf(reg, img)));
      expect(err.code).toBe("OCI_AUTH_FAILED");
      expect(err.message).toContain("requires credentials and none are configured");
    } finally {
      registry.close();
    }
  });
});

describe("a registry with bearer-token auth (token server signing JWTs)", () => {
  let reg: LocalRegistry;
  let target: PushTarget;

  beforeAll(async () => {
    reg = await startLocalRegistry({ auth: "token" });
    target = { url: reg.url, ...(reg.credentials ? { credentials: reg.credentials } : {}) };
  });
  afterAll(async () => reg?.stop());

  it("runs the challenge/token dance, caches tokens per scope, and quarantines", async () => {
    const registry = new OciRegistry({ url: reg.url, credentials: reg.credentials });
    try {
      const img = await pushImage(target, "tok/app", { tags: ["v1"] });
      expect(await pullStatus({ url: reg.url }, "tok/app", "v1")).toBe(401);
      const before = reg.tokenRequests();
      expect((await registry.resolveImage(refOf(reg, img)))?.ref.digest).toBe(img.digest);
      const afterFirst = reg.tokenRequests();
      expect(afterFirst).toBeGreaterThan(before);
      // Same scopes again: served from the cache.
      await registry.resolveImage(refOf(reg, img));
      expect(reg.tokenRequests()).toBe(afterFirst);
      expect(registry.client.auth.tokenRequests).toBe(afterFirst - before);

      // Mount (push on the quarantine repo + pull on the source) and delete scopes.
      await registry.quarantine(refOf(reg, img));
      expect(await pullStatus(target, "tok/app", img.digest)).toBe(404);
      expect(await pullStatus(target, "quarantine/tok/app", "v1")).toBe(200);
      await registry.release(refOf(reg, img));
      expect(await pullStatus(target, "tok/app", "v1")).toBe(200);
    } finally {
      registry.close();
    }
  });

  it("reports the token service's refusal without the password or any token", async () => {
    const wrong = "not-the-password-42";
    const registry = new OciRegistry({
      url: reg.url,
      credentials: { username: "guard", password: wrong },
    });
    try {
      const img = await pushImage(target, "tok/app2");
      const err = await failure(registry.resolveImage(refOf(reg, img)));
      expect(err.code).toBe("OCI_AUTH_FAILED");
      expect(err.operation).toBe("GetToken");
      expect(err.message).toContain('refused the credentials of user "guard"');
      expectNoSecrets(err, wrong);
    } finally {
      registry.close();
    }
  });
});

describe("a registry on HTTPS with a private CA", () => {
  let reg: LocalRegistry;

  beforeAll(async () => {
    reg = await startLocalRegistry({ tls: true, auth: "token" });
  });
  afterAll(async () => reg?.stop());

  it("works when given the CA, and fails with OCI_TLS_FAILED without it", async () => {
    const target = { url: reg.url, ca: reg.ca, credentials: reg.credentials };
    const img = await pushImage(target as PushTarget, "tls/app", { tags: ["v1"] });

    const trusted = new OciRegistry({ url: reg.url, ca: reg.ca, credentials: reg.credentials });
    const untrusted = new OciRegistry({ url: reg.url, credentials: reg.credentials });
    try {
      expect((await trusted.resolveImage(refOf(reg, img)))?.ref.tags).toEqual(["v1"]);
      const err = await failure(untrusted.resolveImage(refOf(reg, img)));
      expect(err.code).toBe("OCI_TLS_FAILED");
      expect(err.message).toContain("CA certificate");
    } finally {
      trusted.close();
      untrusted.close();
    }
  });
});
