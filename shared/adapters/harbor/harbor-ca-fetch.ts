import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";
import { rootCertificates } from "node:tls";

/** The part of fetch the Harbor client uses; the global `fetch` is one. */
export type HarborFetch = (url: string, init: RequestInit) => Promise<Response>;

export interface CaFetch extends HarborFetch {
  /** Closes kept-alive sockets. */
  close(): void;
}

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/**
 * A fetch over node:http/https that trusts `ca` in addition to Node's bundled roots. Node's
 * built-in fetch cannot be given a CA per client without the `undici` package (not a
 * dependency), and a private Harbor often has its own CA. Only what the Harbor client sends is
 * supported: GET without a body, string headers, an abort signal; redirects are not followed.
 */
export function caFetch(ca: string | readonly string[]): CaFetch {
  const extra = typeof ca === "string" ? [ca] : [...ca];
  const httpsAgent = new https.Agent({ keepAlive: true, ca: [...rootCertificates, ...extra] });
  const httpAgent = new http.Agent({ keepAlive: true });

  const fetchFn = (url: string, init: RequestInit): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      const signal = init.signal ?? undefined;
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const target = new URL(url);
      const secure = target.protocol === "https:";
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((value, key) => {
        headers[key] = value;
      });
      const method = init.method ?? "GET";
      let response: http.IncomingMessage | undefined;
      // An abort mid-body fails the body with the abort's reason (a timeout, say), not a reset.
      // Removed once the exchange is over: a late abort must not destroy a pooled socket.
      const onAbort = () => (response ?? req).destroy(signal?.reason);
      const done = () => signal?.removeEventListener("abort", onAbort);
      const req = (secure ? https : http).request(
        target,
        { method, headers, agent: secure ? httpsAgent : httpAgent },
        (res) => {
          response = res;
          res.once("close", done);
          const status = res.statusCode ?? 0;
          const h = new Headers();
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
            h.append(res.rawHeaders[i] as string, res.rawHeaders[i + 1] as string);
          }
          const noBody = NULL_BODY_STATUSES.has(status) || method === "HEAD";
          if (noBody) res.resume();
          const body = noBody ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
          try {
            resolve(new Response(body, { status, headers: h }));
          } catch (err) {
            res.destroy();
            reject(err);
          }
        },
      );
      signal?.addEventListener("abort", onAbort, { once: true });
      req.on("error", (err) => {
        done();
        reject(err);
      });
      req.end();
    });

  return Object.assign(fetchFn, {
    close(): void {
      httpsAgent.destroy();
      httpAgent.destroy();
    },
  });
}
