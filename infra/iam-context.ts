import type { IamContext } from "./data/iam-statements.ts";
import type { DeploymentLocation } from "./location.ts";

/** The resolved ARNs every function role's statements are built from. */
export function iamContextOf(r: {
  location: DeploymentLocation;
  table: sst.aws.Dynamo;
  topic: sst.aws.SnsTopic;
  topicKey: aws.kms.Key;
}): $util.Output<
  Required<
    Pick<IamContext, "partition" | "region" | "account" | "tableArn" | "topicArn" | "topicKeyArn">
  >
> {
  return $util
    .all([
      r.location.partition,
      r.location.region,
      r.location.account,
      r.table.arn,
      r.topic.arn,
      r.topicKey.arn,
    ])
    .apply(([partition, region, account, tableArn, topicArn, topicKeyArn]) => ({
      partition,
      region,
      account,
      tableArn,
      topicArn,
      topicKeyArn,
    }));
}
