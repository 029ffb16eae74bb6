import type { AnyPipeline } from "./operations/index.ts";
import type { OperationKind } from "./kernel/index.ts";
import {
  capturePipeline,
  replicateTemplatePipeline,
  deleteTemplatePipeline,
  verifyTemplatePipeline,
  exportTemplatePipeline,
  importTemplatePipeline,
} from "./templates/index.ts";
import { deleteServerPipeline, powerOffPipeline, powerOnPipeline, provisionPipeline } from "./servers/index.ts";
import { deployPipeline, reloadPipeline } from "./deployments/index.ts";

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
    exportTemplatePipeline,
    importTemplatePipeline,
  ];
  return new Map(list.map((pipeline) => [pipeline.kind, pipeline]));
}
