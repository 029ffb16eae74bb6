import type { AnyPipeline } from "./operations/index.js";
import type { OperationKind } from "./kernel/index.js";
import {
  capturePipeline,
  replicateTemplatePipeline,
  deleteTemplatePipeline,
  verifyTemplatePipeline,
} from "./templates/index.js";
import { deleteServerPipeline, powerOffPipeline, powerOnPipeline, provisionPipeline } from "./servers/index.js";
import { deployPipeline, reloadPipeline } from "./deployments/index.js";

export function allPipelines(): ReadonlyMap<OperationKind, AnyPipeline> {
  const list: AnyPipeline[] = [
    provisionPipeline,
    powerOnPipeline,
    powerOffPipeline,
    deleteServerPipeline,
    capturePipeline,
    deleteTemplatePipeline,
    deployPipeline,
    reloadPipeline,
    replicateTemplatePipeline,
    verifyTemplatePipeline,
  ];
  return new Map(list.map((pipeline) => [pipeline.kind, pipeline]));
}
