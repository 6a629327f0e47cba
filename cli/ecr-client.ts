import { ECRClient } from "@aws-sdk/client-ecr";
import { awsClientConfig } from "../shared/adapters/retry-config.ts";
import { CliUsageError } from "./cli-error.ts";

/**
 * The ECRClient of an ECR command, with the region it talks to: `region` (from --region or the
 * image reference) or else the SDK's (AWS_REGION, the profile …), which is required to reach ECR
 * at all. The caller destroys the client; when no region can be had it is destroyed here.
 */
export async function cliEcrClient(
  region: string | undefined,
): Promise<{ client: ECRClient; region: string }> {
  const client = new ECRClient(awsClientConfig(region ? { region } : {}));
  if (region !== undefined) return { client, region };
  try {
    return { client, region: await client.config.region() };
  } catch {
    client.destroy();
    throw new CliUsageError(
      "CLI_REGION",
      "no AWS region: pass --region (the registry's region) or set AWS_REGION",
    );
  }
}
