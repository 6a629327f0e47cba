import { describe, expect, it } from "vitest";
import { functionUrlResult, requestFromFunctionUrl } from "../../shared/receiver/function-url.ts";

/**
 * A Function URL request (payload format 2.0) as the Lambda developer guide's "Request payload
 * format" shows it, with a registry's headers and body in place of the sample's.
 */
function functionUrlEvent(over: Record<string, unknown> = {}) {
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: "/webhooks/distribution",
    rawQueryString: "",
    headers: {
      "content-type": "application/vnd.docker.distribution.events.v1+json",
      authorization: "Bearer the-secret",
      "x-amzn-trace-id": "Root=1-5e6722a7-cc56xmpl46db7ae02d4da47e",
      host: "abcdefg.lambda-url.us-west-2.on.aws",
    },
    requestContext: {
      accountId: "123456789012",
      apiId: "abcdefg",
      domainName: "abcdefg.lambda-url.us-west-2.on.aws",
      domainPrefix: "abcdefg",
      http: {
        method: "POST",
        path: "/webhooks/distribution",
        protocol: "HTTP/1.1",
        sourceIp: "203.0.113.10",
        userAgent: "Go-http-client/1.1",
      },
      requestId: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
      routeKey: "$default",
      stage: "$default",
      time: "12/Mar/2020:19:03:58 +0000",
      timeEpoch: 1583348638390,
    },
    body: Buffer.from('{"events":[]}').toString("base64"),
    isBase64Encoded: true,
    ...over,
  };
}

describe("requestFromFunctionUrl", () => {
  it("takes method, raw path, headers and the base64 body", () => {
    const req = requestFromFunctionUrl(functionUrlEvent());
    expect(req.method).toBe("POST");
    expect(req.path).toBe("/webhooks/distribution");
    expect(req.headers.authorization).toBe("Bearer the-secret");
    expect(Buffer.from(req.body).toString()).toBe('{"events":[]}');
  });

  it("takes a text body as is, and lower-cases header names", () => {
    const req = requestFromFunctionUrl(
      functionUrlEvent({
        body: '{"type":"PUSH_ARTIFACT"}',
        isBase64Encoded: false,
        headers: { "Content-Type": "application/json" },
      }),
    );
    expect(Buffer.from(req.body).toString()).toBe('{"type":"PUSH_ARTIFACT"}');
    expect(req.headers["content-type"]).toBe("application/json");
  });

  it.each([null, "text", 42, [], {}, { rawPath: 5, headers: "x", body: {} }])(
    "turns a payload that is no Function URL event (%j) into a request no route matches",
    (event) => {
      const req = requestFromFunctionUrl(event);
      expect(req.method).toBe("");
      expect(req.body.byteLength).toBe(0);
    },
  );
});

describe("functionUrlResult", () => {
  it("serializes the answer as JSON with its status and extra headers", () => {
    const res = functionUrlResult({
      status: 405,
      body: { ok: false, code: "WEBHOOK_METHOD_NOT_ALLOWED", message: "no" },
      headers: { allow: "POST" },
      events: [],
    });
    expect(res.statusCode).toBe(405);
    expect(res.headers).toMatchObject({ allow: "POST", "content-type": "application/json" });
    expect(JSON.parse(res.body)).toEqual({
      ok: false,
      code: "WEBHOOK_METHOD_NOT_ALLOWED",
      message: "no",
    });
  });
});
