import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { AttachReportError, reportMediaType } from "../../local/attach-scan-report.ts";
import {
  ImageReferenceError,
  parseImageReference,
  registryUrlFor,
} from "../../local/image-reference.ts";
import { instructions } from "../../local/instructions.ts";
import { defaultPolicyFile } from "../../local/main-options.ts";
import { outcomeLine } from "../../local/outcome-line.ts";
import {
  loadOrCreateSecret,
  maskSecret,
  ReceiverSecretError,
} from "../../local/receiver-secret.ts";
import { isRetryable } from "../../local/retryable-error.ts";
import { waitForDecision } from "../../local/wait-for-decision.ts";
import { MemoryAuditLog } from "../../shared/adapters/memory/memory-audit-log.ts";
import { DigestMismatchError } from "../../shared/domain/digest-mismatch-error.ts";
import { imageKey, repositoryKey } from "../../shared/domain/image.ts";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "rg-local-"));
  dirs.push(d);
  return d;
}

describe("receiver secret", () => {
  it("is generated once with mode 0600 and read back on the next start", async () => {
    const path = join(await tempDir(), "secret");
    const first = await loadOrCreateSecret(path);
    expect(first.created).toBe(true);
    expect(first.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const second = await loadOrCreateSecret(path);
    expect(second).toEqual({ secret: first.secret, created: false });
  });

  it("tightens a readable secret file to 0600 and refuses one that holds no usable secret", async () => {
    const dir = await tempDir();
    const loose = join(dir, "loose");
    await writeFile(loose, `${"a".repeat(40)}\n`, { mode: 0o644 });
    await loadOrCreateSecret(loose);
    expect((await stat(loose)).mode & 0o777).toBe(0o600);
    const bad = join(dir, "bad");
    await writeFile(bad, "short\n");
    await expect(loadOrCreateSecret(bad)).rejects.toBeInstanceOf(ReceiverSecretError);
  });

  it("the mask reveals no character of the secret, only its length", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{32,80}$/), (secret) => {
        expect(maskSecret(secret)).toBe(`(${secret.length} characters, not shown)`);
      }),
    );
  });
});

describe("image references for attach-report", () => {
  const digest = `sha256:${"ab".repeat(32)}`;

  it("reads host, repository and digest or tag", () => {
    expect(parseImageReference(`localhost:5000/prod/app@${digest}`)).toEqual({
      host: "localhost:5000",
      repository: "prod/app",
      digest,
    });
    expect(parseImageReference("127.0.0.1:5000/app:1.0")).toEqual({
      host: "127.0.0.1:5000",
      repository: "app",
      tag: "1.0",
    });
  });

  it("explains what is wrong with a bad reference", () => {
    for (const bad of [
      `app@${digest}`,
      `localhost:5000/App@${digest}`,
      "localhost:5000/app",
      "localhost:5000/app@sha256:12",
    ]) {
      expect(() => parseImageReference(bad)).toThrow(ImageReferenceError);
    }
  });

  it("speaks plain HTTP to loopback registries only", () => {
    expect(registryUrlFor("localhost:5000")).toBe("http://localhost:5000");
    expect(registryUrlFor("127.0.0.1:5000")).toBe("http://127.0.0.1:5000");
    expect(registryUrlFor("[::1]:5000")).toBe("http://[::1]:5000");
    expect(registryUrlFor("registry.example.com")).toBe("https://registry.example.com");
    expect(registryUrlFor("registry.example.com", true)).toBe("http://registry.example.com");
  });
});

describe("attach-report checks the report before pushing anything", () => {
  it("accepts Trivy and Grype JSON, typed as the pipeline reads them", async () => {
    expect(reportMediaType(await readFile("test/fixtures/findings/trivy.json"))).toBe(
      "application/vnd.aquasec.trivy.report+json",
    );
    expect(reportMediaType(await readFile("test/fixtures/findings/grype.json"))).toBe(
      "application/vnd.anchore.grype+json",
    );
  });

  it("refuses what is not JSON or not a scan report", async () => {
    expect(() => reportMediaType(Buffer.from("not json"))).toThrow(AttachReportError);
    expect(() => reportMediaType(Buffer.from('{"hello": 1}'))).toThrow(/Trivy JSON report/);
    const ecr = await readFile("test/fixtures/findings/ecr-basic.json");
    expect(() => reportMediaType(ecr)).toThrow(/ecr document/);
  });
});

describe("the start banner", () => {
  const input = {
    registryPort: 5000,
    receiverUrl: "http://127.0.0.1:5050",
    dynamodbEndpoint: "http://127.0.0.1:4567",
    tableName: "registry-guard-audit",
    dataDir: "/home/me/project/.registry-guard",
    alertsFile: "/home/me/project/.registry-guard/alerts.jsonl",
    secretFile: "/home/me/project/.registry-guard/secret",
    secretMasked: "(43 characters, not shown)",
    policyFile: "examples/registry-guard.yaml",
    policyVersion: "25d9cf28d4f3",
    attachScript: true,
    cwd: "/home/me/project",
  };

  it("prints the exact commands with this runtime's ports, table and paths", () => {
    const text = instructions(input);
    expect(text).toContain("docker://localhost:5000/prod/alpine:3.20");
    expect(text).toContain("--dest-tls-verify=false");
    expect(text).toContain(
      "npm run attach-report -- --image localhost:5000/prod/alpine@sha256:<digest> --report trivy.json",
    );
    expect(text).toContain("tail -f .registry-guard/alerts.jsonl");
    expect(text).toContain(
      "audit query --repository oci:127.0.0.1:5000/prod/alpine --endpoint-dynamodb http://127.0.0.1:4567 --table registry-guard-audit",
    );
    expect(text).toContain("(43 characters, not shown)");
  });

  it("falls back to the tsx command when package.json has no attach-report script", () => {
    expect(instructions({ ...input, attachScript: false })).toContain(
      "npx tsx local/attach-report.ts --image",
    );
  });

  it("prefers ./registry-guard.yaml over the example policy", () => {
    expect(defaultPolicyFile(() => true)).toBe("registry-guard.yaml");
    expect(defaultPolicyFile(() => false)).toBe("examples/registry-guard.yaml");
  });
});

describe("which failures the queue retries", () => {
  it("never retries a digest mismatch or a configuration error; retries the rest", () => {
    expect(
      isRetryable(
        new DigestMismatchError(
          { repository: "a", digest: `sha256:${"0".repeat(64)}` },
          `sha256:${"1".repeat(64)}`,
        ),
      ),
    ).toBe(false);
    expect(isRetryable(Object.assign(new Error("x"), { code: "OCI_WRONG_REGISTRY" }))).toBe(false);
    expect(isRetryable(Object.assign(new Error("x"), { code: "OCI_UNREACHABLE" }))).toBe(true);
    expect(isRetryable(new Error("socket hang up"))).toBe(true);
  });
});

describe("outcome lines", () => {
  it("say the verdict and effects, and stay quiet about duplicates and ignored events", () => {
    const image = `oci:127.0.0.1:5000/prod/a@sha256:${"0".repeat(64)}`;
    expect(
      outcomeLine({
        eventId: "e1",
        kind: "image-pushed",
        image,
        status: "decided",
        verdict: "fail",
        steps: [
          { action: "gate-evaluated", status: "done" },
          { action: "quarantined", status: "done" },
          { action: "alert-sent", status: "done" },
        ],
      }),
    ).toBe(`FAIL ${image} → quarantined, alert-sent  [image-pushed e1]`);
    expect(outcomeLine({ eventId: "e", kind: "ignored", status: "ignored", steps: [] })).toBeNull();
    expect(
      outcomeLine({
        eventId: "e",
        kind: "image-pushed",
        image,
        status: "recorded",
        steps: [{ action: "event-received", status: "duplicate" }],
      }),
    ).toBeNull();
  });
});

describe("waitForDecision", () => {
  const ref = {
    registry: "oci" as const,
    registryId: "127.0.0.1:5000",
    repository: "prod/a",
    digest: `sha256:${"c".repeat(64)}`,
  };
  const base = {
    imageKey: imageKey(ref),
    repositoryKey: repositoryKey(ref),
    repository: ref.repository,
    digest: ref.digest,
    tags: [],
    eventId: "e",
    eventType: "referrer-pushed",
  };

  it("waits for every effect a failing quarantine decision calls for", async () => {
    const audit = new MemoryAuditLog({ clock: () => new Date() });
    await audit.append({
      ...base,
      action: "gate-evaluated",
      verdict: "fail",
      detail: { onFail: "quarantine" },
    });
    await audit.append({ ...base, action: "alert-sent" });
    await expect(waitForDecision(audit, ref, { timeoutMs: 150, pollMs: 10 })).rejects.toThrow(
      /no gate decision/,
    );
    await audit.append({ ...base, action: "quarantined" });
    expect((await waitForDecision(audit, ref, { timeoutMs: 150 })).map((r) => r.action)).toEqual([
      "gate-evaluated",
      "alert-sent",
      "quarantined",
    ]);
  });

  it("a pass is settled at once", async () => {
    const audit = new MemoryAuditLog({ clock: () => new Date() });
    await audit.append({ ...base, action: "gate-evaluated", verdict: "pass" });
    expect(await waitForDecision(audit, ref, { timeoutMs: 100 })).toHaveLength(1);
  });
});
