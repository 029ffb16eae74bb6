// The domain as one object: what the GraphQL layer calls, built from the adapters.
import { Accounts } from "./accounts/accounts.js";
import { AuditTrail } from "./accounts/audit.js";
import type { DomainDeps } from "./deps.js";
import { Operations } from "./operations/operations.js";
import { allPipelines } from "./pipelines.js";
import { OperationRunner } from "./operations/runner.js";
import { Servers } from "./servers/servers.js";
import { Templates } from "./templates/templates.js";
import { Deployments } from "./deployments/deployments.js";

export function createDomain(deps: DomainDeps) {
  const runner = new OperationRunner(deps, allPipelines());
  const operations = new Operations(deps, runner);
  const servers = new Servers(deps, operations);
  const templates = new Templates(deps, operations);
  const deployments = new Deployments(deps, operations, templates);
  const accounts = new Accounts(deps);
  const audit = new AuditTrail(deps);
  return {
    deps,
    runner,
    accounts,
    audit,
    operations,
    servers,
    templates,
    deployments,
    catalog: deps.catalog,
  };
}

export type Domain = ReturnType<typeof createDomain>;
export type { Viewer } from "./deps.js";
