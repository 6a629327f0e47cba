import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { awsClientConfig } from "../shared/adapters/retry-config.ts";

export interface CallerIdentity {
  /** The 12-digit account id: the default ECR registry id. */
  account: string;
  /** The caller's ARN: who is recorded in the audit trail. */
  arn: string;
}

/** STS could not tell who the caller is (no credentials, expired session, no network). */
export class CallerIdentityError extends Error {
  readonly code = "CLI_IDENTITY";
  constructor(cause: unknown) {
    const detail = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(
      `could not find out who you are (STS GetCallerIdentity failed: ${detail}); configure AWS credentials, or pass --registry-id and --principal`,
      { cause },
    );
    this.name = "CallerIdentityError";
  }
}

/** GetCallerIdentity needs no permission: any valid credentials may call it. */
export async function callerIdentity(region?: string): Promise<CallerIdentity> {
  const client = new STSClient(awsClientConfig({ ...(region ? { region } : {}), maxAttempts: 3 }));
  try {
    const out = await client.send(new GetCallerIdentityCommand({}));
    if (!out.Account || !out.Arn) throw new Error("the answer had no Account or Arn");
    return { account: out.Account, arn: out.Arn };
  } catch (err) {
    throw new CallerIdentityError(err);
  } finally {
    client.destroy();
  }
}
