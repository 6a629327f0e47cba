// The three AWS SDK clients every function constructs at load, with the project's retry config.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ECRClient } from "@aws-sdk/client-ecr";
import { SNSClient } from "@aws-sdk/client-sns";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { awsClientConfig } from "../../shared/adapters/retry-config.ts";

const config = awsClientConfig();
const clients = [
  new ECRClient(config),
  new SNSClient(config),
  DynamoDBDocumentClient.from(new DynamoDBClient(config)),
];

export const handler = async () => clients.length;
