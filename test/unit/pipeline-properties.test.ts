import { memoryStore } from "../support/pipeline-fixtures.ts";
import { describePipelineProperties } from "../support/pipeline-properties.ts";

describePipelineProperties(memoryStore, 150);
