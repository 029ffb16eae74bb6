import type { AnyPipeline } from "../pipeline.js";
import type { OperationKind } from "../states.js";
import { capturePipeline } from "./capture.js";
import { deleteServerPipeline } from "./delete-server.js";
import { deployPipeline, reloadPipeline } from "./deploy.js";
import { replicateTemplatePipeline } from "./replicate-template.js";
import { deleteTemplatePipeline } from "./delete-template.js";
import { powerOffPipeline, powerOnPipeline } from "./power.js";
import { provisionPipeline } from "./provision.js";
import { verifyTemplatePipeline } from "./verify-template.js";

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
