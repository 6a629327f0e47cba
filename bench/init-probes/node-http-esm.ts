// node:http imported as ESM, as the AWS SDK's HTTP handler does in an ESM bundle.
import { Agent } from "node:http";

export const handler = async () => Agent.name;
