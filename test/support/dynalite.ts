import type { Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { auditTableCreateInput } from "../../shared/adapters/dynamodb/audit-table.ts";

/** dynalite ships no types; this is the part of its API the tests use. */
type Dynalite = (opts: {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => Server;

const dynalite = createRequire(import.meta.url)("dynalite") as Dynalite;

export interface DynaliteHandle {
  endpoint: string;
  stop(): Promise<void>;
}

/** An in-memory DynamoDB API on 127.0.0.1, on a free port. */
export async function startDynalite(): Promise<DynaliteHandle> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        // Keep-alive sockets of the SDK would hold close() open.
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** A low-level client for the local endpoint, with fake credentials. */
export function dynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
}

/** The document client the audit store is given in production, for the local endpoint. */
export function documentClient(endpoint: string): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(dynamoClient(endpoint), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/**
 * Creates the audit table from the exported definition and waits until it and its indexes are
 * ACTIVE. TTL is not enabled: dynalite has no UpdateTimeToLive (and never sweeps).
 */
export async function createAuditTable(
  client: DynamoDBClient | DynamoDBDocumentClient,
  tableName: string,
): Promise<void> {
  // A document client passes low-level commands through unchanged.
  const raw = client as DynamoDBClient;
  await raw.send(new CreateTableCommand(auditTableCreateInput(tableName)));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { Table } = await raw.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every(
      (ix) => ix.IndexStatus === "ACTIVE",
    );
    if (Table?.TableStatus === "ACTIVE" && indexesActive) return;
    if (Date.now() > deadline) throw new Error(`table ${tableName} did not become ACTIVE in 10 s`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
