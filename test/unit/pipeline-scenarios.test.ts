import { memoryStore } from "../support/pipeline-fixtures.ts";
import { describePipelineScenarios } from "../support/pipeline-scenarios.ts";

// The pipeline's use cases on the in-memory audit store; the same suite runs on DynamoDB in
// test/integration/pipeline-scenarios.test.ts.
describePipelineScenarios(memoryStore);
