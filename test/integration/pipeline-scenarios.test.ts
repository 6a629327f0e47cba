import { dynamoStore } from "../support/pipeline-fixtures.ts";
import { describePipelineScenarios } from "../support/pipeline-scenarios.ts";

// The same scenarios as test/unit/pipeline-scenarios.test.ts, on DynamoDbAuditLog over the real
// DynamoDB API (dynalite): conditional puts, consistent reads and index queries included.
describePipelineScenarios(dynamoStore());
