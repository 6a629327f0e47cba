/** A DynamoDB call of the audit store failed (anything but the expected conditional failure). */
export class AuditStoreError extends Error {
  readonly code = "AUDIT_STORE_FAILED";
  readonly tableName: string;
  readonly operation: string;

  constructor(tableName: string, operation: string, cause: unknown) {
    const name = cause instanceof Error ? cause.name : "Error";
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(
      `Audit table "${tableName}": DynamoDB ${operation} failed (${name}: ${detail})${hint(name, operation)}`,
      { cause },
    );
    this.name = "AuditStoreError";
    this.tableName = tableName;
    this.operation = operation;
  }
}

function hint(errorName: string, operation: string): string {
  switch (errorName) {
    case "ResourceNotFoundException":
      return "; check that the table (and its indexes) exist in this account and region";
    case "AccessDeniedException":
      return `; the caller needs dynamodb:${operation} on the table and its indexes`;
    case "ValidationException":
      return "; the item or request is malformed (a record over 400 KB? keep detail small)";
    default:
      return "";
  }
}

/** Concurrent appends to one image kept winning the same seq; nothing was written. */
export class AuditAppendConflictError extends Error {
  readonly code = "AUDIT_APPEND_CONFLICT";
  readonly imageKey: string;

  constructor(tableName: string, imageKey: string, attempts: number) {
    super(
      `Audit table "${tableName}": could not append to ${imageKey} after ${attempts} attempts; ` +
        "other writers kept taking the next seq. Nothing was written; retrying the event is safe.",
    );
    this.name = "AuditAppendConflictError";
    this.imageKey = imageKey;
  }
}

/** The store was configured wrongly (missing table name, bad retention). */
export class AuditStoreConfigError extends Error {
  readonly code = "AUDIT_STORE_CONFIG";

  constructor(message: string) {
    super(message);
    this.name = "AuditStoreConfigError";
  }
}

/** An audit query with impossible bounds or limit. */
export class AuditQueryError extends Error {
  readonly code = "AUDIT_QUERY_INVALID";

  constructor(message: string) {
    super(message);
    this.name = "AuditQueryError";
  }
}
