import {
  DescribeRepositoriesCommand,
  type DescribeRepositoriesCommandOutput,
  type ECRClient,
} from "@aws-sdk/client-ecr";
import { ecrRetentionRequestFailed, PageTokens } from "./ecr-retention-errors.ts";

const OPERATION = "DescribeRepositories";
/** The API's maximum page size. */
export const REPOSITORIES_PAGE_SIZE = 1000;

/** Every repository name of the registry, all pages read, each once, sorted (code unit order). */
export async function listEcrRepositories(
  client: ECRClient,
  registryId: string,
): Promise<string[]> {
  const names = new Set<string>();
  const tokens = new PageTokens(OPERATION, { registryId });
  let nextToken: string | undefined;
  do {
    let out: DescribeRepositoriesCommandOutput;
    try {
      out = await client.send(
        new DescribeRepositoriesCommand({
          registryId,
          maxResults: REPOSITORIES_PAGE_SIZE,
          ...(nextToken ? { nextToken } : {}),
        }),
      );
    } catch (err) {
      throw ecrRetentionRequestFailed(OPERATION, { registryId }, err);
    }
    for (const r of out.repositories ?? []) if (r.repositoryName) names.add(r.repositoryName);
    nextToken = tokens.next(out.nextToken);
  } while (nextToken);
  // Default sort compares UTF-16 code units: the order the port promises.
  return [...names].sort();
}
