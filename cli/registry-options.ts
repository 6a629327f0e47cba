import { type Command, Option } from "commander";

/**
 * The flags that say which registry a command talks to, shared by every command that reads or
 * changes images. Definitions only: checking them is registry-settings.ts, run by the actions.
 */
export interface RegistryOptions {
  /** `ecr` (the default) or the base URL of an OCI registry. */
  registry?: string;
  registryUsername?: string;
  registryPasswordStdin?: boolean;
  /** Refused when given: a password must not be a flag value (process list, shell history). */
  registryPassword?: string;
  registryCa?: string;
  quarantineRepository?: string;
  insecureRegistry?: boolean;
}

/** Where the OCI registry password may come from, besides stdin. */
export const REGISTRY_PASSWORD_ENV = "REGISTRY_GUARD_REGISTRY_PASSWORD";

export function addRegistryOptions(cmd: Command): Command {
  return cmd
    .option(
      "--registry <ecr|url>",
      "ecr (default: Amazon ECR with your AWS credentials) or an OCI registry's URL: https://host[:port], or http://127.0.0.1:5000 for a local one",
    )
    .option(
      "--registry-username <user>",
      `OCI registry user; the password comes from env ${REGISTRY_PASSWORD_ENV} or --registry-password-stdin`,
    )
    .option("--registry-password-stdin", "read the OCI registry password from standard input")
    .addOption(new Option("--registry-password <password>").hideHelp())
    .option("--registry-ca <file>", "PEM file of the OCI registry's CA (added to the usual roots)")
    .option(
      "--quarantine-repository <template>",
      "OCI quarantine repository, with {repository} once (default: quarantine/{repository})",
    )
    .option(
      "--insecure-registry",
      "allow an http:// OCI registry that is not on this machine (credentials and images travel unencrypted)",
    );
}
