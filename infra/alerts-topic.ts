import { alertsKeyPolicy } from "./data/resource-policies.ts";
import type { DeploymentLocation } from "./location.ts";

/**
 * The alerts topic, encrypted with its own customer managed key. A customer managed key (not
 * alias/aws/sns) because CloudWatch alarms can only publish to an encrypted topic whose key
 * policy grants them, and AWS managed key policies cannot be changed.
 */
export function alertsTopic(location: DeploymentLocation) {
  const key = new aws.kms.Key("AlertsKey", {
    description: `${$app.name} ${$app.stage}: encrypts the alerts topic`,
    enableKeyRotation: true,
    deletionWindowInDays: 30,
    policy: $util
      .all([location.partition, location.account])
      .apply(([partition, account]) => JSON.stringify(alertsKeyPolicy(partition, account))),
  });
  new aws.kms.Alias("AlertsKeyAlias", {
    name: `alias/${$app.name}-${$app.stage}-alerts`,
    targetKeyId: key.keyId,
  });
  const topic = new sst.aws.SnsTopic("Alerts", {
    transform: { topic: { kmsMasterKeyId: key.arn } },
  });
  return { topic, key };
}
