import { dynamoStore } from "../support/pipeline-fixtures.ts";
import { describePipelineProperties } from "../support/pipeline-properties.ts";

// Fewer runs than on the memory store: every run creates a table and talks HTTP.
describePipelineProperties(dynamoStore(), 25);
