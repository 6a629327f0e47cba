/** Where this stage deploys: partition, region and account, resolved from the AWS provider. */
export function deploymentLocation() {
  return {
    partition: aws.getPartitionOutput({}).partition,
    region: aws.getRegionOutput({}).region,
    account: aws.getCallerIdentityOutput({}).accountId,
  };
}

export type DeploymentLocation = ReturnType<typeof deploymentLocation>;
