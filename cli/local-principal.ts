import { userInfo } from "node:os";
import { CliUsageError } from "./cli-error.ts";

/**
 * Who acts, when no AWS identity applies (an OCI registry) and --principal is not given: the
 * operating system's user, recorded as `local:<name>` so it is never mistaken for an IAM ARN.
 */
export function localPrincipal(who: () => { username: string } = userInfo): string {
  let name: string;
  try {
    name = who().username;
  } catch (err) {
    throw new CliUsageError(
      "CLI_PRINCIPAL",
      `could not tell which user you are (${(err as Error).message}); pass --principal`,
    );
  }
  if (!name.trim()) {
    throw new CliUsageError("CLI_PRINCIPAL", "this system user has no name; pass --principal");
  }
  return `local:${name}`;
}
