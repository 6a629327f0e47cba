import type { ScanResult } from "../../domain/finding.ts";
import type { ImageRef } from "../../domain/image.ts";
import { FindingsFormatError } from "../../findings/findings-format-error.ts";
import {
  HARBOR_REPORT_MEDIA_TYPES,
  harborScannerName,
  harborTimestamp,
  parseHarborVulnerabilityReport,
} from "../../findings/harbor-findings.ts";
import { harborErrorSummary } from "./harbor-errors.ts";
import {
  type HarborCall,
  HarborHttp,
  type HarborHttpOptions,
  type HarborResponse,
} from "./harbor-http.ts";
import {
  harborArtifactPath,
  invalidHarborTarget,
  splitHarborRepository,
} from "./harbor-repository.ts";
import {
  fromHarborScanStatus,
  type HarborArtifact,
  harborArtifactSchema,
  harborScanDetail,
  isScannable,
  pickScanSummary,
} from "./harbor-scan-status.ts";

export type { HarborFetch } from "./harbor-ca-fetch.ts";
export type { HarborAuth } from "./harbor-http.ts";
export { splitHarborRepository } from "./harbor-repository.ts";

export type HarborScanClientOptions = HarborHttpOptions;

/**
 * Which report types we read, in order: Harbor answers with the first it holds. This is the
 * header's documented default, but Harbor's handler reads only the native 1.0 report when the
 * header is absent, which would miss the 1.1 report of current scanners: so it is always sent.
 */
export const HARBOR_ACCEPT_VULNERABILITIES = HARBOR_REPORT_MEDIA_TYPES.join(", ");

/** An artifact's JSON is small; a vulnerability report of a large image runs to megabytes. */
const MAX_ARTIFACT_BYTES = 8 * 1024 * 1024;
export const MAX_REPORT_BYTES = 64 * 1024 * 1024;

/** What a robot account needs, in Harbor's words (robot account → permissions → project). */
const PERMISSIONS =
  'the project permissions "Artifact: Read" and "Artifact Addition: Read" (resources artifact and artifact-addition, action read)';

/**
 * Reads an artifact's vulnerability scan from Harbor's API v2.0: the scan status from the
 * artifact's `scan_overview`, then, for a finished scan, the report from its vulnerabilities
 * addition. A scan that has not finished gives a ScanResult with that status and no findings;
 * an artifact Harbor no longer has gives NONE. Credentials errors throw HarborApiError naming
 * the account and the permissions it needs, never the password.
 */
export class HarborScanClient {
  private readonly http: HarborHttp;

  constructor(opts: HarborScanClientOptions) {
    this.http = new HarborHttp(opts);
  }

  /** Harbor's host[:port]. */
  get host(): string {
    return this.http.host;
  }

  /** `repository` is the name inside the project: library/team/app → ("library", "team/app"). */
  async getScanResult(project: string, repository: string, digest: string): Promise<ScanResult> {
    const target = { project, repository, reference: digest };
    const invalid = invalidHarborTarget(project, repository, digest);
    if (invalid) {
      throw this.http.error(
        "HARBOR_INVALID_REQUEST",
        { operation: "GetScanResult", target },
        invalid,
      );
    }
    const path = harborArtifactPath(project, repository, digest);
    const headers = { "x-accept-vulnerabilities": HARBOR_ACCEPT_VULNERABILITIES };
    const artifact = await this.getArtifact({
      operation: "GetArtifact",
      target,
      path: `${path}?with_scan_overview=true&with_tag=false&with_label=false`,
      headers,
      maxBodyBytes: MAX_ARTIFACT_BYTES,
    });
    const where = `${project}/${repository}@${digest}`;
    if (typeof artifact === "string") return gone(where, artifact);
    const summary = pickScanSummary(artifact);
    if (!summary) {
      return isScannable(artifact)
        ? notScanned("NONE", `Harbor has not scanned ${where}`)
        : notScanned(
            "UNSUPPORTED",
            `Harbor cannot scan ${where}: no scanner is set for the project, or the scanner does not support this artifact type`,
          );
    }
    const scanner = harborScannerName(summary.scanner?.name);
    const status = fromHarborScanStatus(summary.scan_status);
    if (status !== "COMPLETE") {
      return { status, scanner, findings: [], detail: harborScanDetail(summary) };
    }
    const report = await this.getReport({
      operation: "GetVulnerabilities",
      target,
      path: `${path}/additions/vulnerabilities`,
      headers,
      maxBodyBytes: MAX_REPORT_BYTES,
    });
    if (report.kind === "gone") return gone(where, report.said);
    if (report.kind === "empty") {
      // The report goes when a new scan starts: the overview was read just before that.
      return {
        status: "IN_PROGRESS",
        scanner,
        findings: [],
        detail: `Harbor reported a finished scan of ${where} but holds no report for it: a new scan has probably started`,
      };
    }
    const scan = report.scan;
    const completedAt = scan.completedAt ?? harborTimestamp(summary.end_time);
    return {
      ...scan,
      scanner: scan.scanner === "harbor" ? scanner : scan.scanner,
      ...(completedAt ? { completedAt } : {}),
    };
  }

  /** The same for an image whose repository is Harbor's full name (`project/repo…`). */
  async getImageScanResult(ref: Pick<ImageRef, "repository" | "digest">): Promise<ScanResult> {
    const { project, repository } = splitHarborRepository(ref.repository);
    return this.getScanResult(project, repository, ref.digest);
  }

  /** Closes sockets the client opened itself (with `ca`). */
  close(): void {
    this.http.close();
  }

  /** The artifact; Harbor's words when it has no such artifact (or project). */
  private async getArtifact(call: HarborCall): Promise<HarborArtifact | string> {
    const res = await this.http.get(call);
    if (res.status === 404) return this.notFound(call, res);
    this.expectOk(call, res);
    const parsed = harborArtifactSchema.safeParse(this.json(call, res));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw this.http.error(
        "HARBOR_INVALID_RESPONSE",
        call,
        `the artifact is not the documented shape (${issue?.path.join(".") || "body"}: ${issue?.message})`,
        { ...requestIdOf(res) },
      );
    }
    // Asked by digest, answered about another: never judge one artifact by another's scan.
    if (parsed.data.digest !== call.target.reference) {
      throw this.http.error(
        "HARBOR_INVALID_RESPONSE",
        call,
        `Harbor answered with artifact ${parsed.data.digest.slice(0, 80)}`,
        { ...requestIdOf(res) },
      );
    }
    return parsed.data;
  }

  /** The parsed report; "empty" when Harbor holds none; "gone" with the artifact. */
  private async getReport(
    call: HarborCall,
  ): Promise<
    { kind: "report"; scan: ScanResult } | { kind: "empty" } | { kind: "gone"; said: string }
  > {
    const res = await this.http.get(call);
    if (res.status === 404) return { kind: "gone", said: this.notFound(call, res) };
    this.expectOk(call, res);
    const json = this.json(call, res);
    if (typeof json === "object" && json !== null && Object.keys(json).length === 0) {
      return { kind: "empty" };
    }
    try {
      return { kind: "report", scan: parseHarborVulnerabilityReport(json) };
    } catch (err) {
      if (!(err instanceof FindingsFormatError)) throw err;
      throw this.http.error("HARBOR_INVALID_RESPONSE", call, err.message, {
        cause: err,
        ...requestIdOf(res),
      });
    }
  }

  /**
   * Harbor's 404 (its `errors[]` body: the project or artifact does not exist) → what Harbor
   * said. Any other 404 is not Harbor's API speaking: a wrong base URL, or a proxy in the way.
   */
  private notFound(call: HarborCall, res: HarborResponse): string {
    const said = harborErrorSummary(res.body);
    if (said !== undefined) return this.http.redact(said);
    throw this.http.error(
      "HARBOR_REQUEST_FAILED",
      call,
      `HTTP 404 without Harbor's error body at ${this.http.apiRoot}: check baseUrl points at Harbor (its API is under /api/v2.0)`,
      { status: 404, ...requestIdOf(res) },
    );
  }

  private expectOk(call: HarborCall, res: HarborResponse): void {
    if (res.status === 200) return;
    const said = harborErrorSummary(res.body);
    const quoted = said ? ` (Harbor: ${said})` : "";
    const opts = { status: res.status, ...requestIdOf(res) };
    const scope = `project "${call.target.project}"`;
    if (res.status === 401) {
      const why = this.http.username
        ? `Harbor rejected the credentials of "${this.http.username}": check the name (robot accounts are robot$<project>+<name>) and the secret, and that the account is enabled and not expired`
        : `Harbor requires credentials for ${scope}: configure a robot account with ${PERMISSIONS}`;
      throw this.http.error("HARBOR_AUTH_FAILED", call, `${why}${quoted}`, opts);
    }
    if (res.status === 403) {
      const who = this.http.username ? `"${this.http.username}"` : "anonymous access";
      throw this.http.error(
        "HARBOR_ACCESS_DENIED",
        call,
        `${who} may not read ${call.operation === "GetArtifact" ? "artifacts" : "artifact additions"} in ${scope}: give the robot account ${PERMISSIONS}${quoted}`,
        opts,
      );
    }
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get("location");
      const to = location ? ` to ${safeOrigin(location, this.http.apiRoot)}` : "";
      throw this.http.error(
        "HARBOR_REQUEST_FAILED",
        call,
        `Harbor redirected (HTTP ${res.status})${to}; redirects are not followed, so credentials stay with one origin: set baseUrl to where Harbor answers`,
        opts,
      );
    }
    const retried = res.status === 429 || res.status >= 500 ? " after retries" : "";
    throw this.http.error(
      "HARBOR_REQUEST_FAILED",
      call,
      `Harbor answered HTTP ${res.status}${retried}${quoted}`,
      opts,
    );
  }

  private json(call: HarborCall, res: HarborResponse): unknown {
    try {
      return JSON.parse(res.body.toString("utf8"));
    } catch (err) {
      throw this.http.error("HARBOR_INVALID_RESPONSE", call, "Harbor's answer is not JSON", {
        cause: err,
        ...requestIdOf(res),
      });
    }
  }
}

function requestIdOf(res: HarborResponse): { requestId?: string } {
  return res.requestId ? { requestId: res.requestId.slice(0, 128) } : {};
}

/** The redirect's origin and path, never its query (a signed URL may carry a token). */
function safeOrigin(location: string, base: string): string {
  try {
    const u = new URL(location, base);
    return `${u.origin}${u.pathname}`;
  } catch {
    return "an unparseable location";
  }
}

function notScanned(status: "NONE" | "UNSUPPORTED", detail: string): ScanResult {
  return { status, scanner: "harbor", findings: [], detail };
}

function gone(where: string, said: string): ScanResult {
  return notScanned(
    "NONE",
    `Harbor has no artifact ${where} (it was deleted, or never pushed): ${said}`,
  );
}
