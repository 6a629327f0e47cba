import { parseChallenges } from "./oci-challenge.ts";
import { OciRegistryError } from "./oci-errors.ts";
import { HttpTransportError, type OciHttpClient } from "./oci-http-client.ts";

/** Registry credentials: a user and a password or access token (GHCR, Harbor robot accounts …). */
export interface OciCredentials {
  username: string;
  password: string;
}

export interface OciAuthOptions {
  /** host[:port], for error messages. */
  registry: string;
  registryUrl: URL;
  credentials?: OciCredentials;
  http: OciHttpClient;
  /** Milliseconds since the epoch; injectable so token expiry can be tested. */
  now?: () => number;
}

/** What to do after a 401: retry with new credentials, or give up and why. */
export type ChallengeOutcome = { retry: true } | { retry: false; reason: string };

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** The token spec's default lifetime, when the token service does not say. */
const DEFAULT_TOKEN_SECONDS = 60;
/** Renew this long before expiry, so no request leaves with a token about to lapse. */
const EXPIRY_MARGIN_MS = 10_000;
/** Secrets shorter than this are not scrubbed from messages (it would shred them). */
const MIN_REDACTED_LENGTH = 3;

/** `repository:<name>:<actions>`: the scope the distribution token spec names. */
export function repositoryScope(repository: string, ...actions: string[]): string {
  return `repository:${repository}:${actions.join(",")}`;
}

export const CATALOG_SCOPE = "registry:catalog:*";

function scopeKey(scopes: readonly string[]): string {
  return [...new Set(scopes)].sort().join(" ");
}

/**
 * Registry authentication: anonymous, HTTP Basic, and the bearer-token flow of the distribution
 * token spec (401 + `WWW-Authenticate: Bearer realm,service,scope` → GET realm with the basic
 * credentials → a token, cached per scope set until shortly before it expires). What the
 * registry wants is learned from its first challenge, then sent up front.
 */
export class OciAuth {
  private readonly registry: string;
  private readonly registryUrl: URL;
  private readonly credentials: OciCredentials | undefined;
  private readonly http: OciHttpClient;
  private readonly now: () => number;
  private scheme: "unknown" | "basic" | "bearer" = "unknown";
  private realm: URL | undefined;
  private service: string | undefined;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inFlight = new Map<string, Promise<CachedToken>>();
  private readonly secrets = new Set<string>();
  /** Token requests made, for tests and metrics. */
  tokenRequests = 0;

  constructor(opts: OciAuthOptions) {
    this.registry = opts.registry;
    this.registryUrl = opts.registryUrl;
    this.credentials = opts.credentials;
    this.http = opts.http;
    this.now = opts.now ?? Date.now;
    if (opts.credentials) {
      this.addSecret(opts.credentials.password);
      this.addSecret(basicValue(opts.credentials));
    }
  }

  /** The Authorization header for a request needing `scopes`, when one is known in advance. */
  async headerFor(scopes: readonly string[]): Promise<string | undefined> {
    if (this.scheme === "basic" && this.credentials) return `Basic ${basicValue(this.credentials)}`;
    if (this.scheme !== "bearer") return undefined;
    const key = scopeKey(scopes);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > this.now()) return `Bearer ${cached.token}`;
    const fresh = await this.token(key, [...scopes]);
    return `Bearer ${fresh.token}`;
  }

  /**
   * The registry answered 401 to a request that carried `sent` (or nothing). Learns the
   * challenge and obtains what it asks for; says when another attempt cannot help.
   */
  async onChallenge(
    wwwAuthenticate: string | undefined,
    scopes: readonly string[],
    sent: string | undefined,
  ): Promise<ChallengeOutcome> {
    const challenges = parseChallenges(wwwAuthenticate ?? "");
    const bearer = challenges.find((c) => c.scheme === "bearer" && c.params.realm);
    const basic = challenges.find((c) => c.scheme === "basic");
    if (bearer?.params.realm) {
      this.learnRealm(bearer.params.realm, bearer.params.service);
      // The scopes the registry names are the authority; ours are added for the cache key.
      const asked = (bearer.params.scope ?? "").split(" ").filter((s) => s !== "");
      const key = scopeKey(scopes);
      if (sent?.startsWith("Bearer ") && this.tokens.get(key)?.token === sent.slice(7)) {
        this.tokens.delete(key);
      }
      await this.token(key, [...scopes, ...asked]);
      return { retry: true };
    }
    if (basic) {
      if (!this.credentials) {
        return {
          retry: false,
          reason: "the registry requires credentials and none are configured",
        };
      }
      if (sent?.startsWith("Basic ")) return { retry: false, reason: this.rejected() };
      this.scheme = "basic";
      return { retry: true };
    }
    if (sent !== undefined) return { retry: false, reason: this.rejected() };
    const schemes = challenges.map((c) => c.scheme).join(", ") || "none";
    return {
      retry: false,
      reason: `unsupported authentication challenge (schemes: ${schemes}); registry-guard speaks Basic and Bearer`,
    };
  }

  /** `text` with every known secret (password, basic value, tokens) replaced by `***`. */
  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join("***");
    return out;
  }

  /** Why a request still got 401 after the challenge was answered. */
  refusal(scopes: readonly string[]): string {
    if (this.scheme !== "bearer") return this.rejected();
    const who = this.credentials ? `user "${this.credentials.username}"` : "anonymous access";
    return `the registry refused the token issued for ${scopes.join(" ") || "its challenge"}: ${who} may lack these permissions`;
  }

  private rejected(): string {
    return this.credentials
      ? `the registry rejected the credentials of user "${this.credentials.username}": check the username and password or token`
      : "the registry requires credentials and none are configured";
  }

  private learnRealm(realm: string, service: string | undefined): void {
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new OciRegistryError(
        "OCI_AUTH_FAILED",
        "GetToken",
        { registry: this.registry },
        "the registry's token realm is not a URL",
      );
    }
    const downgrade = url.protocol === "http:" && this.registryUrl.protocol === "https:";
    if ((url.protocol !== "https:" && url.protocol !== "http:") || downgrade) {
      throw new OciRegistryError(
        "OCI_AUTH_FAILED",
        "GetToken",
        { registry: this.registry },
        `refusing the token realm ${url.origin}: credentials go to HTTPS realms only when the registry itself uses HTTPS`,
      );
    }
    this.scheme = "bearer";
    this.realm = url;
    this.service = service;
  }

  /** A token for `key`, fetched once even when several requests ask at the same time. */
  private token(key: string, scopes: string[]): Promise<CachedToken> {
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const p = this.fetchToken(scopes)
      .then((t) => {
        this.evictExpired();
        this.tokens.set(key, t);
        return t;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  private async fetchToken(scopes: string[]): Promise<CachedToken> {
    const realm = this.realm as URL;
    const url = new URL(realm);
    if (this.service) url.searchParams.set("service", this.service);
    for (const s of [...new Set(scopes)]) url.searchParams.append("scope", s);
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.credentials) {
      url.searchParams.set("account", this.credentials.username);
      headers.authorization = `Basic ${basicValue(this.credentials)}`;
    }
    const target = { registry: this.registry };
    const where = `${realm.origin}${realm.pathname}`;
    this.tokenRequests++;
    let res: Awaited<ReturnType<OciHttpClient["send"]>>;
    try {
      res = await this.http.send({ method: "GET", url, headers, maxBodyBytes: 1024 * 1024 });
    } catch (err) {
      const code = err instanceof HttpTransportError ? err.code : "OCI_UNREACHABLE";
      const msg = err instanceof Error ? err.message : String(err);
      throw new OciRegistryError(code, "GetToken", target, `token service ${where}: ${msg}`, {
        cause: err,
      });
    }
    if (res.status === 401 || res.status === 403) {
      const why = this.credentials
        ? `the token service ${where} refused the credentials of user "${this.credentials.username}" (HTTP ${res.status}): check the username and password or token`
        : `the token service ${where} refused anonymous access to ${scopes.join(" ")} (HTTP ${res.status}): configure credentials`;
      throw new OciRegistryError("OCI_AUTH_FAILED", "GetToken", target, why, {
        status: res.status,
      });
    }
    if (res.status !== 200) {
      throw new OciRegistryError(
        "OCI_REQUEST_FAILED",
        "GetToken",
        target,
        `the token service ${where} answered HTTP ${res.status}`,
        { status: res.status },
      );
    }
    let json: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      json = JSON.parse(res.body.toString("utf8"));
    } catch {
      json = {};
    }
    const token = typeof json.token === "string" ? json.token : json.access_token;
    if (typeof token !== "string" || token === "") {
      throw new OciRegistryError(
        "OCI_INVALID_RESPONSE",
        "GetToken",
        target,
        `the token service ${where} answered without a token`,
      );
    }
    this.addSecret(token);
    const seconds =
      typeof json.expires_in === "number" && json.expires_in > 0
        ? json.expires_in
        : DEFAULT_TOKEN_SECONDS;
    const lifetime = seconds * 1000;
    return { token, expiresAt: this.now() + lifetime - Math.min(EXPIRY_MARGIN_MS, lifetime / 2) };
  }

  private evictExpired(): void {
    const now = this.now();
    for (const [k, t] of this.tokens) if (t.expiresAt <= now) this.tokens.delete(k);
  }

  private addSecret(s: string): void {
    if (s.length >= MIN_REDACTED_LENGTH) this.secrets.add(s);
  }
}

function basicValue(c: OciCredentials): string {
  return Buffer.from(`${c.username}:${c.password}`, "utf8").toString("base64");
}
