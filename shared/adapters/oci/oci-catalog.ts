import { CATALOG_SCOPE, repositoryScope } from "./oci-auth.ts";
import { header, type OciClient } from "./oci-client.ts";
import { OciRegistryError, type OciTarget, unexpectedStatus } from "./oci-errors.ts";

export interface PageOptions {
  /** Entries asked for per page (`n`). Default 1000, the distribution registry's own maximum. */
  pageSize?: number;
  /** Pages followed at most before giving up (a registry stuck in a loop). Default 1000. */
  maxPages?: number;
}

const DEFAULT_PAGE_SIZE = 1000;
const DEFAULT_MAX_PAGES = 1000;

/** Every repository of the registry (`GET /v2/_catalog`), all pages followed. */
export async function listRepositories(
  client: OciClient,
  opts: PageOptions = {},
): Promise<string[]> {
  const found = await paginate(client, {
    operation: "ListRepositories",
    target: {},
    path: "/v2/_catalog",
    key: "repositories",
    scopes: [CATALOG_SCOPE],
    opts,
  });
  return found ?? [];
}

/**
 * Every tag of a repository (`GET /v2/<name>/tags/list`), all pages followed; [] when the
 * repository does not exist. Registries that ignore `n` (distribution 2.8 does, for tags) send
 * everything on the first page, which is just as good.
 */
export async function listTags(
  client: OciClient,
  repository: string,
  opts: PageOptions = {},
): Promise<string[]> {
  const found = await paginate(client, {
    operation: "ListTags",
    target: { repository },
    path: `/v2/${repository}/tags/list`,
    key: "tags",
    scopes: [repositoryScope(repository, "pull")],
    opts,
  });
  return found ?? [];
}

interface Paging {
  operation: string;
  target: Omit<OciTarget, "registry">;
  path: string;
  key: "repositories" | "tags";
  scopes: string[];
  opts: PageOptions;
}

/** Follows `Link: <…>; rel="next"` headers; null when the first page is a 404. */
async function paginate(client: OciClient, p: Paging): Promise<string[] | null> {
  const pageSize = p.opts.pageSize ?? DEFAULT_PAGE_SIZE;
  const maxPages = p.opts.maxPages ?? DEFAULT_MAX_PAGES;
  const target = client.target(p.target);
  const invalid = (detail: string) =>
    new OciRegistryError("OCI_INVALID_RESPONSE", p.operation, target, detail);
  const out: string[] = [];
  const seen = new Set<string>();
  let next: string | undefined = `${p.path}?n=${pageSize}`;
  for (let page = 0; next !== undefined; page++) {
    if (page >= maxPages) throw invalid(`more than ${maxPages} pages; raise maxPages if real`);
    if (seen.has(next)) throw invalid(`the Link header points back to ${next}: a pagination loop`);
    seen.add(next);
    const res = await client.send({
      operation: p.operation,
      target: p.target,
      method: "GET",
      path: next,
      scopes: p.scopes,
      headers: { accept: "application/json" },
    });
    if (res.status === 404 && page === 0) return null;
    if (res.status !== 200) throw unexpectedStatus(p.operation, target, res);
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(res.body.toString("utf8"));
    } catch {
      throw invalid("the page is not JSON");
    }
    const entries = json[p.key];
    // distribution writes `"tags": null` for a repository whose tags were all deleted.
    if (entries !== null && entries !== undefined) {
      if (!Array.isArray(entries) || !entries.every((e) => typeof e === "string")) {
        throw invalid(`"${p.key}" is not a list of strings`);
      }
      out.push(...entries);
    }
    next = nextPage(header(res.headers.link), client.baseUrl, invalid);
  }
  return out;
}

/**
 * The `rel="next"` target of a Link header (RFC 8288), as a path on the registry. A link to
 * another origin is refused: following it would send the registry's credentials elsewhere.
 */
export function nextPage(
  link: string | undefined,
  base: URL,
  invalid: (detail: string) => Error = (d) => new Error(d),
): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (!m) continue;
    const rels = /;\s*rel\s*=\s*"?([^";]+)"?/i.exec(m[2] ?? "")?.[1]?.split(/\s+/) ?? [];
    if (!rels.map((r) => r.toLowerCase()).includes("next")) continue;
    const url = new URL(m[1] ?? "", base);
    if (url.origin !== base.origin) {
      throw invalid(`the next page is on another origin (${url.origin}); not following it`);
    }
    return `${url.pathname}${url.search}`;
  }
  return undefined;
}
