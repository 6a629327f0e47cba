import {
  BatchGetImageCommand,
  type BatchGetImageCommandOutput,
  type ECRClient,
} from "@aws-sdk/client-ecr";
import { EcrRegistryError, ecrRequestFailed } from "../../shared/adapters/ecr/ecr-errors.ts";
import {
  ACCEPTED_MANIFEST_MEDIA_TYPES,
  manifestDigest,
} from "../../shared/adapters/ecr/ecr-manifest.ts";
import { EcrSignatureSource } from "../../shared/signatures/sources/ecr-signature-source.ts";
import { CliUsageError } from "../cli-error.ts";
import { cliEcrClient } from "../ecr-client.ts";
import type { RegistryImageTarget } from "../signed-image-reference.ts";
import type { FoundSignatures } from "./verify-source.ts";

/**
 * The image's signatures in Amazon ECR, with your AWS credentials (ecr:BatchGetImage,
 * ecr:GetDownloadUrlForLayer on the repository). A tag is resolved with BatchGetImage to the
 * digest of the manifest bytes ECR returns; that digest is what is verified and printed.
 */
export async function readEcrSignatures(image: RegistryImageTarget): Promise<FoundSignatures> {
  const { client, region } = await cliEcrClient(image.region);
  try {
    const registryHost =
      image.registryId !== undefined
        ? `${image.registryId}.dkr.ecr.${region}.amazonaws.com`
        : undefined;
    const name = `${registryHost ?? `ecr:${region}`}/${image.repository}`;
    const digest = image.digest ?? (await tagDigest(client, image, image.tag, name));
    const found = await new EcrSignatureSource(client)
      .read({
        registry: "ecr",
        ...(image.registryId !== undefined ? { registryId: image.registryId } : {}),
        repository: image.repository,
        digest,
      })
      .catch((err: unknown) => {
        if (err instanceof EcrRegistryError && err.code === "ECR_IMAGE_NOT_FOUND") {
          throw new CliUsageError("CLI_IMAGE_NOT_FOUND", err.message);
        }
        throw err;
      });
    return {
      ...found,
      name,
      ...(image.tag !== undefined ? { tag: image.tag } : {}),
      repository: image.repository,
      ...(registryHost ? { registryHost } : {}),
    };
  } finally {
    client.destroy();
  }
}

async function tagDigest(
  client: ECRClient,
  image: RegistryImageTarget,
  tag: string,
  name: string,
): Promise<string> {
  let res: BatchGetImageCommandOutput;
  try {
    res = await client.send(
      new BatchGetImageCommand({
        ...(image.registryId !== undefined ? { registryId: image.registryId } : {}),
        repositoryName: image.repository,
        imageIds: [{ imageTag: tag }],
        acceptedMediaTypes: [...ACCEPTED_MANIFEST_MEDIA_TYPES],
      }),
    );
  } catch (err) {
    if (err instanceof Error && err.name === "RepositoryNotFoundException") {
      throw new CliUsageError("CLI_IMAGE_NOT_FOUND", `${name}: no such repository`);
    }
    throw ecrRequestFailed(
      "BatchGetImage",
      {
        registryId: image.registryId ?? "of the caller's account",
        repository: image.repository,
        digest: `:${tag}`,
      },
      err,
    );
  }
  const manifest = res.images?.find((i) => i.imageManifest !== undefined)?.imageManifest;
  if (manifest !== undefined) return manifestDigest(manifest);
  const failure = res.failures?.[0];
  if (
    failure === undefined ||
    failure.failureCode === "ImageNotFound" ||
    failure.failureCode === "ImageTagDoesNotMatchDigest"
  ) {
    throw new CliUsageError("CLI_IMAGE_NOT_FOUND", `${name}:${tag}: no such tag in ECR`);
  }
  throw new EcrRegistryError(
    "ECR_MANIFEST_UNAVAILABLE",
    "BatchGetImage",
    {
      registryId: image.registryId ?? "of the caller's account",
      repository: image.repository,
      digest: `:${tag}`,
    },
    `${failure.failureCode ?? "failure"}: ${failure.failureReason ?? "no reason given"}`,
  );
}
