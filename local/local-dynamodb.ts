import type { Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
} from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { auditTableCreateInput } from "../shared/adapters/dynamodb/audit-table.ts";

/** dynalite ships no types; this is the part of its API used here. */
type Dynalite = (opts: {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => Server;

/** Fake credentials: dynalite checks that requests are signed, not by whom. */
export const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };
export const LOCAL_REGION = "us-east-1";

export interface LocalDynamoDbOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** LevelDB directory; in memory when absent. */
  path?: string;
  tableName: string;
}

export interface LocalDynamoDb {
  endpoint: string;
  port: number;
  tableName: string;
  /** A document client as the audit store wants it (numbers as numbers, undefined dropped). */
  documentClient: DynamoDBDocumentClient;
  /** Whether this start created the audit table (false: reused from an earlier start). */
  createdTable: boolean;
  stop(): Promise<void>;
}

/**
 * The DynamoDB API on loopback (dynalite, in this process), with its data in LevelDB under
 * `path` so a second start sees the audit trail of the first, and the audit table created when
 * missing. TTL is not enabled: dynalite has no UpdateTimeToLive and never sweeps.
 */
export async function startLocalDynamoDb(opts: LocalDynamoDbOptions): Promise<LocalDynamoDb> {
  const dynalite = createRequire(import.meta.url)("dynalite") as Dynalite;
  const server = dynalite({
    ...(opts.path ? { path: opts.path } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://${opts.host}:${port}`;
  const raw = new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const documentClient = DynamoDBDocumentClient.from(raw, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const stop = async () => {
    documentClient.destroy();
    await new Promise<void>((resolve, reject) => {
      // The SDK's keep-alive sockets would hold close() open.
      server.closeAllConnections();
      server.close((err) => (err ? reject(err) : resolve()));
    });
  };
  try {
    const createdTable = await ensureTable(raw, opts.tableName);
    return { endpoint, port, tableName: opts.tableName, documentClient, createdTable, stop };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}

async function ensureTable(client: DynamoDBClient, tableName: string): Promise<boolean> {
  let created = false;
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
    await client.send(new CreateTableCommand(auditTableCreateInput(tableName)));
    created = true;
  }
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every(
      (ix) => ix.IndexStatus === "ACTIVE",
    );
    if (Table?.TableStatus === "ACTIVE" && indexesActive) return created;
    if (Date.now() > deadline) throw new Error(`table ${tableName} did not become ACTIVE in 10 s`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
