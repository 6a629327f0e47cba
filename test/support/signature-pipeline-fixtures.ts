// Shared pieces of the pipeline's signature scenarios (key-based, KMS, Notation).
import { readFileSync } from "node:fs";
import type { ReferrerPushed } from "../../shared/domain/registry-event.ts";
import { parseRegistryEvent } from "../../shared/events/parse-event.ts";
import {
  ACCOUNT,
  completeScan,
  type Harness,
  PASSING,
  REGION,
  T0,
  type TestImage,
  testImage,
} from "./pipeline-fixtures.ts";

/** A multi-line text (a PEM) indented for a YAML block scalar. */
export const indentBlock = (text: string, spaces: number) =>
  text
    .trim()
    .split("\n")
    .map((l) => `${" ".repeat(spaces)}${l}`)
    .join("\n");

/** The docker-reference cosign signs for an ECR repository. */
export const ecrReference = (repository: string) =>
  `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${repository}`;

/** A fresh image with a passing scan, pushed at T0. */
export function pushedImage(h: Harness, repository: string): TestImage {
  const image = testImage(repository, `${repository}-${Math.random()}`);
  h.add(image, completeScan(PASSING), T0);
  return image;
}

/** An ECR Referrer Action for the image's `.sig` tag, as EventBridge delivers it. */
export function sigPushEvent(image: TestImage, id: string, time: string): ReferrerPushed {
  const raw = JSON.parse(
    readFileSync("test/fixtures/events/ecr-referrer-push.json", "utf8"),
  ) as Record<string, unknown>;
  const event = parseRegistryEvent({
    ...raw,
    id,
    time,
    account: ACCOUNT,
    region: REGION,
    detail: {
      ...(raw.detail as object),
      "repository-name": image.ref.repository,
      "image-tag": `${image.ref.digest.replace(":", "-")}.sig`,
    },
  });
  if (event.kind !== "referrer-pushed") throw new Error(`unexpected ${event.kind}`);
  return event;
}
