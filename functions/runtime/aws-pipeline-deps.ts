import { ECRClient } from "@aws-sdk/client-ecr";
import { EcrRegistry } from "../../shared/adapters/ecr/ecr-registry.ts";
import { awsClientConfig } from "../../shared/adapters/retry-config.ts";
import type { PipelineDeps } from "../../shared/pipeline/pipeline-deps.ts";
import type { Log } from "../../shared/ports.ts";
import { awsCoreDeps } from "./aws-core-deps.ts";

/**
 * The ECR pipeline's adapters from the Lambda environment. Called once per container at module
 * load: clients and the parsed policy are reused across invocations.
 */
export function awsPipelineDeps(env: NodeJS.ProcessEnv, log: Log): PipelineDeps {
  return { ...awsCoreDeps(env, log), registry: new EcrRegistry(new ECRClient(awsClientConfig())) };
}
