// The domain as one object: what the GraphQL layer calls, built from the adapters.
import { Accounts } from "./accounts/accounts.ts";
import { AuditTrail } from "./accounts/audit.ts";
import type { DomainDeps } from "./deps.ts";
import { Operations } from "./operations/operations.ts";
import { allPipelines } from "./pipelines.ts";
import { OperationRunner } from "./operations/runner.ts";
import { Servers } from "./servers/servers.ts";
import { Templates } from "./templates/templates.ts";
import { Locations } from "./templates/locations.ts";
import { Retirement, settleDueRetirements } from "./templates/retirement.ts";
import { Families } from "./templates/families.ts";
import { Sharing } from "./templates/sharing.ts";
import { Exports } from "./templates/exports.ts";
import { removeExpiredExports } from "./templates/export-template.ts";
import { Imports, removeExpiredUploads } from "./templates/imports.ts";
import { Deployments } from "./deployments/deployments.ts";

export function createDomain(deps: DomainDeps) {
  // The families' policies need the templates, which need the runner: looked up when it runs.
  const housekeeping = [
    { name: "settling templates' retirement times", run: () => settleDueRetirements(deps) },
    { name: "applying families' retention policies", run: () => families.applyDue() },
    { name: "removing expired exports", run: () => removeExpiredExports(deps) },
    { name: "removing expired uploads", run: () => removeExpiredUploads(deps) },
  ];
  const runner = new OperationRunner(deps, allPipelines(), housekeeping);
  const operations = new Operations(deps, runner);
  const servers = new Servers(deps, operations);
  const templates = new Templates(deps, operations);
  const retirement = new Retirement(deps, templates);
  const audit = new AuditTrail(deps);
  const families = new Families(deps, templates, retirement, audit);
  const sharing = new Sharing(deps, templates);
  const exports = new Exports(deps, operations, templates);
  const imports = new Imports(deps, operations, templates);
  const deployments = new Deployments(deps, operations, templates, retirement, families);
  const locations = new Locations(deps, operations, templates);
  const accounts = new Accounts(deps);
  return {
    deps,
    runner,
    accounts,
    audit,
    operations,
    servers,
    templates,
    retirement,
    families,
    sharing,
    exports,
    imports,
    deployments,
    locations,
    catalog: deps.catalog,
  };
}

export type Domain = ReturnType<typeof createDomain>;
export type { Viewer } from "./deps.ts";
