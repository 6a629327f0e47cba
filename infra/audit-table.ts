import { auditTableSstArgs } from "../shared/adapters/dynamodb/audit-table.ts";

/**
 * The audit trail, with the key schema, indexes and TTL attribute the DynamoDB audit log defines
 * (one definition for the stack and the tests). On-demand, point-in-time recovery, encrypted
 * with the AWS managed DynamoDB key (the functions need no KMS grant for it), deletion
 * protection on protected stages.
 */
export function auditTable(protect: boolean) {
  return new sst.aws.Dynamo("AuditTable", {
    ...auditTableSstArgs(),
    deletionProtection: protect,
    transform: {
      table: {
        billingMode: "PAY_PER_REQUEST",
        serverSideEncryption: { enabled: true },
        pointInTimeRecovery: { enabled: true },
      },
    },
  });
}
