import type { CreateTableCommandInput } from "@aws-sdk/client-dynamodb";

/**
 * The audit table, as plain data, so the SST stack and the tests create the same table.
 *
 * Items of one image share a partition (`pk = IMG#<imageKey>`): its records under
 * `sk = SEQ#<seq padded to 10>` (ascending seq = sort order) and one head pointer under
 * `sk = HEAD`. Records carry the GSI attributes; the head does not, so the indexes stay sparse.
 * Index sort keys are `<recordedAt>#<imageKey>#<padded seq>`: ISO times sort as strings, and
 * the suffix keeps records of the same millisecond distinct and in chain order.
 * Indexes project everything: a query answers with whole records and no second read.
 */
export const AUDIT_TABLE = {
  partitionKey: "pk",
  sortKey: "sk",
  indexes: {
    byRepository: { partitionKey: "gsi1pk", sortKey: "gsi1sk" },
    byEventType: { partitionKey: "gsi2pk", sortKey: "gsi2sk" },
  },
  /** Epoch seconds; DynamoDB TTL removes records (and finally the head) after it. */
  ttlAttribute: "expiresAt",
  billingMode: "PAY_PER_REQUEST",
} as const;

export type AuditIndexName = keyof typeof AUDIT_TABLE.indexes;

const KEY_ATTRIBUTES = [
  AUDIT_TABLE.partitionKey,
  AUDIT_TABLE.sortKey,
  ...Object.values(AUDIT_TABLE.indexes).flatMap((ix) => [ix.partitionKey, ix.sortKey]),
];

/** The CreateTable request for the audit table (TTL is a separate UpdateTimeToLive call). */
export function auditTableCreateInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: AUDIT_TABLE.billingMode,
    AttributeDefinitions: KEY_ATTRIBUTES.map((name) => ({
      AttributeName: name,
      AttributeType: "S",
    })),
    KeySchema: [
      { AttributeName: AUDIT_TABLE.partitionKey, KeyType: "HASH" },
      { AttributeName: AUDIT_TABLE.sortKey, KeyType: "RANGE" },
    ],
    GlobalSecondaryIndexes: Object.entries(AUDIT_TABLE.indexes).map(([name, ix]) => ({
      IndexName: name,
      KeySchema: [
        { AttributeName: ix.partitionKey, KeyType: "HASH" },
        { AttributeName: ix.sortKey, KeyType: "RANGE" },
      ],
      Projection: { ProjectionType: "ALL" },
    })),
  };
}

/** The same table in the shape of SST's `sst.aws.Dynamo` arguments. */
export function auditTableSstArgs() {
  return {
    fields: Object.fromEntries(KEY_ATTRIBUTES.map((name) => [name, "string" as const])),
    primaryIndex: { hashKey: AUDIT_TABLE.partitionKey, rangeKey: AUDIT_TABLE.sortKey },
    globalIndexes: Object.fromEntries(
      Object.entries(AUDIT_TABLE.indexes).map(([name, ix]) => [
        name,
        { hashKey: ix.partitionKey, rangeKey: ix.sortKey, projection: "all" as const },
      ]),
    ),
    ttl: AUDIT_TABLE.ttlAttribute,
  };
}
