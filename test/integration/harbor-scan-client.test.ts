import { readFileSync } from "node:fs";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { HarborApiError } from "../../shared/adapters/harbor/harbor-errors.ts";
import {
  HARBOR_ACCEPT_VULNERABILITIES,
  HarborScanClient,
  type HarborScanClientOptions,
} from "../../shared/adapters/harbor/harbor-scan-client.ts";
import {
  HARBOR_GENERIC_REPORT_MEDIA_TYPE,
  HARBOR_NATIVE_REPORT_MEDIA_TYPE,
  parseHarborVulnerabilityReport,
} from "../../shared/findings/harbor-findings.ts";

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/harbor-api/${name}`, import.meta.url), "utf8");
const json = (name: string) => JSON.parse(fixture(name));

const DIGEST = "sha256:2bb501e6173d9d006e56de5bce2720eb06396803300fe1687b58a7ff32bf4c14";
const OTHER = `sha256:${"c".repeat(64)}`;
const ROBOT = { username: "robot$library+guard", password: "Zq8pJ3kTn2Lr5Vx7Wc9Yb1Hd4Gf6Ms0A" };
const BASIC = `Basic ${Buffer.from(`${ROBOT.username}:${ROBOT.password}`).toString("base64")}`;
const TRIVY_REPORT = json("vulnerabilities-trivy.json")[HARBOR_GENERIC_REPORT_MEDIA_TYPE];
const NATIVE_REPORT = json("vulnerabilities-native.json")[HARBOR_NATIVE_REPORT_MEDIA_TYPE];

interface Stored {
  artifact: Record<string, unknown>;
  reports: Record<string, unknown>;
}

interface Seen {
  method: string;
  url: string;
  authorization?: string;
  accept?: string;
  acceptVulnerabilities?: string;
}

/**
 * A small Harbor: the two API v2.0 routes the scan client uses, with Harbor's routing (the path
 * is decoded once before matching, then the repository once more), Basic auth, its
 * X-Accept-Vulnerabilities negotiation, and its error bodies.
 */
class FakeHarbor {
  readonly artifacts = new Map<string, Stored>();
  readonly projects = new Set<string>(["library"]);
  readonly seen: Seen[] = [];
  /** Statuses answered before anything else, one per request. */
  failures: number[] = [];
  /** When set, the answer to every request. */
  override: ((res: ServerResponse) => void) | undefined;
  forbidden = false;

  add(fullName: string, digest: string, artifactFixture: string, reports: Record<string, unknown>) {
    const artifact = { ...json(artifactFixture), digest, repository_name: fullName };
    this.artifacts.set(`${fullName}@${digest}`, { artifact, reports });
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? "/";
    this.seen.push({
      method: req.method ?? "",
      url,
      ...header("authorization", req.headers.authorization),
      ...header("accept", req.headers.accept),
      ...header("acceptVulnerabilities", req.headers["x-accept-vulnerabilities"]),
    });
    res.setHeader("x-request-id", `req-${this.seen.length}`);
    if (this.override) {
      this.override(res);
      return;
    }
    const [status, answer] = this.answer(req, url);
    send(res, status, answer);
  }

  private answer(req: IncomingMessage, url: string): [number, unknown] {
    const failure = this.failures.shift();
    if (failure !== undefined) return [failure, json("error-internal.json")];
    if (req.headers.authorization === undefined) {
      return [401, json("error-unauthorized.json")];
    }
    if (req.headers.authorization !== BASIC) return [401, json("error-unauthorized.json")];
    if (this.forbidden) return [403, json("error-forbidden.json")];

    const [rawPath, query = ""] = url.split("?");
    const path = decodeURIComponent(rawPath ?? "");
    const m =
      /^\/api\/v2\.0\/projects\/([^/]+)\/repositories\/([^/]+)\/artifacts\/([^/]+)(\/additions\/vulnerabilities)?$/.exec(
        path,
      );
    if (!m) {
      // go-swagger's router answer: not Harbor's errors[] shape.
      return [404, { code: 404, message: `path ${path} was not found` }];
    }
    const [, project, encodedRepo, reference, addition] = m as unknown as string[];
    const repository = decodeURIComponent(encodedRepo as string);
    if (!this.projects.has(project as string)) {
      return [
        404,
        {
          errors: [{ code: "NOT_FOUND", message: `project ${project} not found` }],
        },
      ];
    }
    const stored = this.artifacts.get(`${project}/${repository}@${reference}`);
    if (!stored) {
      return [
        404,
        {
          errors: [
            {
              code: "NOT_FOUND",
              message: `artifact ${project}/${repository}@${reference} not found`,
            },
          ],
        },
      ];
    }
    const accepted = acceptedTypes(req.headers["x-accept-vulnerabilities"]);
    if (addition) {
      const type = accepted.find((t) => stored.reports[t] !== undefined);
      return [200, type ? { [type]: stored.reports[type] } : {}];
    }
    const artifact = structuredClone(stored.artifact);
    const overview = artifact.scan_overview as Record<string, unknown> | undefined;
    if (!new URLSearchParams(query).get("with_scan_overview") || !overview) {
      delete artifact.scan_overview;
    } else {
      const type = accepted.find((t) => overview[t] !== undefined);
      if (type) artifact.scan_overview = { [type]: overview[type] };
      else delete artifact.scan_overview;
    }
    return [200, artifact];
  }
}

/** Harbor's parseScanReportMimeTypes: known types in the header's order, else the native one. */
function acceptedTypes(header: string | string[] | undefined): string[] {
  const known = [HARBOR_NATIVE_REPORT_MEDIA_TYPE, HARBOR_GENERIC_REPORT_MEDIA_TYPE] as string[];
  const types = String(header ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => known.includes(s));
  return types.length > 0 ? types : [HARBOR_NATIVE_REPORT_MEDIA_TYPE];
}

function header<K extends string>(key: K, value: string | string[] | undefined) {
  return value === undefined ? {} : ({ [key]: String(value) } as Record<K, string>);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

let harbor: FakeHarbor;
let server: http.Server;
let baseUrl: string;
let sleeps: number[];
let clients: HarborScanClient[];

function client(over: Partial<HarborScanClientOptions> = {}): HarborScanClient {
  const c = new HarborScanClient({
    baseUrl,
    auth: ROBOT,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...over,
  });
  clients.push(c);
  return c;
}

async function rejection(p: Promise<unknown>): Promise<HarborApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof HarborApiError) return err;
    throw err;
  }
  throw new Error("expected a HarborApiError");
}

function listen(s: http.Server | https.Server): Promise<string> {
  return new Promise((resolve) => {
    s.listen(0, "127.0.0.1", () => resolve(String((s.address() as AddressInfo).port)));
  });
}

function close(s: http.Server | https.Server): Promise<void> {
  s.closeAllConnections();
  return new Promise((resolve) => s.close(() => resolve()));
}

beforeAll(async () => {
  server = http.createServer((req, res) => harbor.handle(req, res));
  baseUrl = `http://127.0.0.1:${await listen(server)}`;
});

afterAll(async () => {
  await close(server);
});

beforeEach(() => {
  harbor = new FakeHarbor();
  sleeps = [];
  clients = [];
  harbor.add("library/team/debian", DIGEST, "artifact-scanned.json", {
    [HARBOR_GENERIC_REPORT_MEDIA_TYPE]: TRIVY_REPORT,
  });
});

afterEach(() => {
  for (const c of clients) c.close();
});

describe("HarborScanClient on a finished scan", () => {
  it("reads the scan overview, then the report, and gates what Harbor found", async () => {
    const scan = await client().getScanResult("library", "team/debian", DIGEST);
    expect(scan.status).toBe("COMPLETE");
    expect(scan.scanner).toBe("harbor:Trivy");
    expect(scan.completedAt).toBe("2023-04-03T06:23:19.582Z");
    expect(scan.findings).toEqual(
      parseHarborVulnerabilityReport(json("vulnerabilities-trivy.json")).findings,
    );
    expect(scan.findings).toHaveLength(7);
  });

  it("asks with Harbor's exact paths (repository encoded twice) and headers", async () => {
    await client().getScanResult("library", "team/debian", DIGEST);
    const root = "/api/v2.0/projects/library/repositories/team%252Fdebian/artifacts";
    expect(harbor.seen.map((s) => [s.method, s.url])).toEqual([
      ["GET", `${root}/${DIGEST}?with_scan_overview=true&with_tag=false&with_label=false`],
      ["GET", `${root}/${DIGEST}/additions/vulnerabilities`],
    ]);
    for (const s of harbor.seen) {
      expect(s.authorization).toBe(BASIC);
      expect(s.accept).toBe("application/json");
      expect(s.acceptVulnerabilities).toBe(
        "application/vnd.security.vulnerability.report; version=1.1, application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0",
      );
    }
    expect(HARBOR_ACCEPT_VULNERABILITIES).toBe(harbor.seen[0]?.acceptVulnerabilities);
  });

  it("is a Harbor that refuses a repository encoded once (so the paths above matter)", async () => {
    const res = await fetch(
      `${baseUrl}/api/v2.0/projects/library/repositories/team%2Fdebian/artifacts/${DIGEST}`,
      { headers: { authorization: BASIC } },
    );
    expect(res.status).toBe(404);
    expect(await res.json()).not.toHaveProperty("errors");
  });

  it("reaches deeply nested repositories", async () => {
    harbor.add("library/a/b/c", OTHER, "artifact-scanned.json", {
      [HARBOR_GENERIC_REPORT_MEDIA_TYPE]: TRIVY_REPORT,
    });
    const scan = await client().getScanResult("library", "a/b/c", OTHER);
    expect(scan.status).toBe("COMPLETE");
    expect(harbor.seen[0]?.url).toContain("/repositories/a%252Fb%252Fc/artifacts/");
  });

  it("takes a full Harbor repository name through getImageScanResult", async () => {
    const scan = await client().getImageScanResult({
      repository: "library/team/debian",
      digest: DIGEST,
    });
    expect(scan.findings).toHaveLength(7);
  });

  it("reads the native report from a Harbor that holds only that type", async () => {
    const artifact = json("artifact-scanned.json");
    const summary = artifact.scan_overview[HARBOR_GENERIC_REPORT_MEDIA_TYPE];
    harbor.artifacts.set(`library/mongo@${OTHER}`, {
      artifact: {
        ...artifact,
        digest: OTHER,
        scan_overview: { [HARBOR_NATIVE_REPORT_MEDIA_TYPE]: summary },
      },
      reports: { [HARBOR_NATIVE_REPORT_MEDIA_TYPE]: NATIVE_REPORT },
    });
    const scan = await client().getScanResult("library", "mongo", OTHER);
    expect(scan.status).toBe("COMPLETE");
    expect(scan.findings.map((f) => [f.id, f.severity])).toEqual([["CVE-2017-8283", "LOW"]]);
  });

  it("prefers the 1.1 report when Harbor holds both", async () => {
    harbor.add("library/both", OTHER, "artifact-scanned.json", {
      [HARBOR_NATIVE_REPORT_MEDIA_TYPE]: NATIVE_REPORT,
      [HARBOR_GENERIC_REPORT_MEDIA_TYPE]: TRIVY_REPORT,
    });
    const scan = await client().getScanResult("library", "both", OTHER);
    expect(scan.findings).toHaveLength(7);
  });

  it("falls back to the overview's end time when the report has none", async () => {
    harbor.add("library/untimed", OTHER, "artifact-scanned.json", {
      [HARBOR_GENERIC_REPORT_MEDIA_TYPE]: { ...TRIVY_REPORT, generated_at: "" },
    });
    const scan = await client().getScanResult("library", "untimed", OTHER);
    expect(scan.completedAt).toBe("2023-04-03T06:23:20.000Z");
  });

  it("is IN_PROGRESS when the report is gone after the overview said Success", async () => {
    harbor.add("library/rescanning", OTHER, "artifact-scanned.json", {});
    const scan = await client().getScanResult("library", "rescanning", OTHER);
    expect(scan.status).toBe("IN_PROGRESS");
    expect(scan.findings).toEqual([]);
    expect(scan.detail).toMatch(/new scan has probably started/);
  });
});

describe("HarborScanClient on a scan that is not complete", () => {
  it.each([
    ["artifact-scan-running.json", "IN_PROGRESS", /Running \(0% complete\)/],
    ["artifact-scan-pending.json", "PENDING", /Pending: waiting/],
    ["artifact-scan-error.json", "FAILED", /Error: the scan failed/],
    ["artifact-scan-stopped.json", "FAILED", /Stopped: the scan was stopped/],
  ])("%s → %s, without reading a report", async (name, status, detail) => {
    harbor.add("library/app", OTHER, name, { [HARBOR_GENERIC_REPORT_MEDIA_TYPE]: TRIVY_REPORT });
    const scan = await client().getScanResult("library", "app", OTHER);
    expect(scan.status).toBe(status);
    expect(scan.findings).toEqual([]);
    expect(scan.detail).toMatch(detail);
    expect(scan.scanner).toBe("harbor");
    expect(harbor.seen).toHaveLength(1);
  });

  it("is NONE for a scannable artifact never scanned", async () => {
    harbor.add("library/app", OTHER, "artifact-not-scanned.json", {});
    const scan = await client().getScanResult("library", "app", OTHER);
    expect(scan).toEqual({
      status: "NONE",
      scanner: "harbor",
      findings: [],
      detail: `Harbor has not scanned library/app@${OTHER}`,
    });
  });

  it("is UNSUPPORTED for an artifact Harbor cannot scan", async () => {
    harbor.add("library/app", OTHER, "artifact-unsupported.json", {});
    const scan = await client().getScanResult("library", "app", OTHER);
    expect(scan.status).toBe("UNSUPPORTED");
    expect(scan.detail).toMatch(/cannot scan/);
  });

  it("is NONE, with Harbor's words, for an artifact that is gone", async () => {
    const scan = await client().getScanResult("library", "team/debian", OTHER);
    expect(scan.status).toBe("NONE");
    expect(scan.detail).toContain(`NOT_FOUND: artifact library/team/debian@${OTHER} not found`);
  });

  it("is NONE for a project that is gone", async () => {
    const scan = await client().getScanResult("archive", "team/debian", DIGEST);
    expect(scan.status).toBe("NONE");
    expect(scan.detail).toContain("project archive not found");
  });
});

describe("HarborScanClient errors", () => {
  it("names the robot account, never its secret, when Harbor rejects it", async () => {
    const err = await rejection(
      client({ auth: { ...ROBOT, password: "wrong-secret-value" } }).getScanResult(
        "library",
        "team/debian",
        DIGEST,
      ),
    );
    expect(err.code).toBe("HARBOR_AUTH_FAILED");
    expect(err.status).toBe(401);
    expect(err.requestId).toBe("req-1");
    expect(err.message).toContain('"robot$library+guard"');
    expect(err.message).toContain("UNAUTHORIZED");
    expect(`${err.message}${err.stack}`).not.toContain("wrong-secret-value");
    expect(harbor.seen).toHaveLength(1);
  });

  it("says which robot permissions to configure when credentials are missing", async () => {
    const err = await rejection(
      client({ auth: undefined }).getScanResult("library", "team/debian", DIGEST),
    );
    expect(err.code).toBe("HARBOR_AUTH_FAILED");
    expect(err.message).toMatch(/Artifact: Read.*Artifact Addition: Read/);
  });

  it("names the permissions the robot account lacks on 403", async () => {
    harbor.forbidden = true;
    const err = await rejection(client().getScanResult("library", "team/debian", DIGEST));
    expect(err.code).toBe("HARBOR_ACCESS_DENIED");
    expect(err.status).toBe(403);
    expect(err.message).toContain('project "library"');
    expect(err.message).toMatch(/Artifact: Read.*Artifact Addition: Read/);
    expect(err.message).not.toContain(ROBOT.password);
  });

  it("retries Harbor's 5xx with backoff and succeeds", async () => {
    harbor.failures = [500, 503];
    const scan = await client().getScanResult("library", "team/debian", DIGEST);
    expect(scan.status).toBe("COMPLETE");
    expect(harbor.seen).toHaveLength(4);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[1]).toBeGreaterThan(0);
  });

  it("gives up on a Harbor that keeps failing, quoting its error", async () => {
    harbor.failures = [500, 500, 500, 500, 500];
    const err = await rejection(client().getScanResult("library", "team/debian", DIGEST));
    expect(err.code).toBe("HARBOR_REQUEST_FAILED");
    expect(err.status).toBe(500);
    expect(err.message).toContain("HTTP 500 after retries");
    expect(err.message).toContain("UNKNOWN: internal server error");
    expect(harbor.seen).toHaveLength(4);
  });

  it("tells a 404 that is not Harbor's from an artifact that is gone", async () => {
    const err = await rejection(
      client({ baseUrl: `${baseUrl}/not-harbor` }).getScanResult("library", "team/debian", DIGEST),
    );
    expect(err.code).toBe("HARBOR_REQUEST_FAILED");
    expect(err.message).toMatch(/check baseUrl/);
  });

  it("refuses an answer about another artifact", async () => {
    harbor.artifacts.set(`library/app@${OTHER}`, {
      artifact: { ...json("artifact-scanned.json") },
      reports: {},
    });
    const err = await rejection(client().getScanResult("library", "app", OTHER));
    expect(err.code).toBe("HARBOR_INVALID_RESPONSE");
    expect(err.message).toContain(DIGEST);
  });

  it("refuses a malformed report", async () => {
    const broken = structuredClone(TRIVY_REPORT);
    delete broken.vulnerabilities[0].id;
    harbor.add("library/app", OTHER, "artifact-scanned.json", {
      [HARBOR_GENERIC_REPORT_MEDIA_TYPE]: broken,
    });
    const err = await rejection(client().getScanResult("library", "app", OTHER));
    expect(err.code).toBe("HARBOR_INVALID_RESPONSE");
    expect(err.operation).toBe("GetVulnerabilities");
    expect(err.message).toContain("vulnerabilities[0].id");
  });

  it("refuses an answer that is not JSON", async () => {
    harbor.override = (res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>login</html>");
    };
    const err = await rejection(client().getScanResult("library", "team/debian", DIGEST));
    expect(err.code).toBe("HARBOR_INVALID_RESPONSE");
  });

  it("does not follow a redirect", async () => {
    harbor.override = (res) => {
      res.writeHead(302, { location: "https://login.example.com/sso?token=abc" });
      res.end();
    };
    const err = await rejection(client().getScanResult("library", "team/debian", DIGEST));
    expect(err.code).toBe("HARBOR_REQUEST_FAILED");
    expect(err.message).toContain("https://login.example.com/sso");
    expect(err.message).not.toContain("token=abc");
    expect(harbor.seen).toHaveLength(1);
  });

  it("refuses a bad request before sending it", async () => {
    const c = client();
    for (const [project, repository, digest] of [
      ["library", "Team/Debian", DIGEST],
      ["library/team", "debian", DIGEST],
      ["library", "team/debian", "latest"],
    ] as const) {
      const err = await rejection(c.getScanResult(project, repository, digest));
      expect(err.code).toBe("HARBOR_INVALID_REQUEST");
    }
    expect(harbor.seen).toHaveLength(0);
  });
});

describe("HarborScanClient over TLS with a private CA", () => {
  const cert = fixture("tls/test-cert.pem");
  const key = fixture("tls/test-key.pem");
  let tls: https.Server;
  let tlsUrl: string;

  beforeAll(async () => {
    tls = https.createServer({ cert, key }, (req, res) => harbor.handle(req, res));
    tlsUrl = `https://127.0.0.1:${await listen(tls)}`;
  });

  afterAll(async () => {
    await close(tls);
  });

  it("trusts Harbor's certificate when given its CA", async () => {
    const scan = await client({ baseUrl: tlsUrl, ca: cert }).getScanResult(
      "library",
      "team/debian",
      DIGEST,
    );
    expect(scan.status).toBe("COMPLETE");
    expect(scan.findings).toHaveLength(7);
    expect(harbor.seen[0]?.authorization).toBe(BASIC);
  });

  it("times out an answer that stalls mid-body", async () => {
    harbor.override = (res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"digest":');
    };
    const err = await rejection(
      client({ baseUrl: tlsUrl, ca: cert, timeoutMs: 100, maxAttempts: 2 }).getScanResult(
        "library",
        "team/debian",
        DIGEST,
      ),
    );
    expect(err.code).toBe("HARBOR_UNREACHABLE");
    expect(err.message).toContain("no answer within 100 ms");
    expect(harbor.seen).toHaveLength(2);
  });

  it("fails at once, naming the fix, without the CA", async () => {
    const err = await rejection(
      client({ baseUrl: tlsUrl }).getScanResult("library", "team/debian", DIGEST),
    );
    expect(err.code).toBe("HARBOR_TLS_FAILED");
    expect(sleeps).toEqual([]);
  });
});
