// Deploying image templates: new servers from a template (DEPLOY), and rewriting an existing
// server from one (RELOAD), in a datacenter where the template is AVAILABLE.
import {
  findDatacenter,
  SERVER_LIMITS,
  FieldProblems,
  NotFoundError,
  ValidationError,
} from "../kernel/index.ts";
import type { DomainDeps, Viewer } from "../deps.ts";
import {
  insertServer,
  newServerPlan,
  type NewServer,
  type ServerRow,
  type ServerWithOperation,
  checkCapacity,
  checkDatacenter,
  checkDomain,
  checkFqdnLength,
  checkHostname,
  checkRange,
  checkUserData,
} from "../servers/index.ts";
import { checkIdempotencyKey, idempotencyKeySpent, idempotencyRequest, type IdempotencyRequest, type Operations } from "../operations/index.ts";
import type { ServerKind } from "../kernel/index.ts";
import { holdTemplate, refuseTarget, volumeTooSmall, type DeployWarning, type Families, type RecordedConfiguration, type Retirement, type Templates } from "../templates/index.ts";

/** Which template a deploy or reload takes: one by ID, or a family's newest ACTIVE one. */
export interface TemplateChoice {
  imageTemplateId?: string | null;
  family?: string | null;
}

export interface DeployInput extends TemplateChoice {
  hostname: string;
  domain: string;
  kind?: ServerKind | null;
  datacenter?: string | null;
  cpu?: number | null;
  memoryMb?: number | null;
  volumes?: Array<{ index: number; capacityGb: number }> | null;
  userData?: string | null;
  /** Start the host once it is ready; default: as the template's source server was. */
  powerOn?: boolean | null;
  idempotencyKey?: string | null;
}

/** What the DEPLOY and RELOAD pipelines are given. */
export interface DeployRun {
  userData?: string | null;
  /** Absent in operations queued before it existed: they started the host. */
  powerOn?: boolean;
}

/** Whether a deploy or reload starts the host: as asked, else as the source server was at capture. */
function startsHost(asked: boolean | null | undefined, recorded: RecordedConfiguration): boolean {
  if (asked !== undefined && asked !== null) return asked;
  return recorded.powerState !== "HALTED";
}

/** A deploy or reload queued, and what its caller should know (its template is deprecated). */
export interface DeploymentQueued extends ServerWithOperation {
  warnings: DeployWarning[];
}

export class Deployments {
  private readonly deps: DomainDeps;
  private readonly operations: Operations;
  private readonly templates: Templates;
  private readonly retirement: Retirement;
  private readonly families: Families;
  constructor(
    deps: DomainDeps,
    operations: Operations,
    templates: Templates,
    retirement: Retirement,
    families: Families,
  ) {
    this.deps = deps;
    this.operations = operations;
    this.templates = templates;
    this.retirement = retirement;
    this.families = families;
  }

  async deploy(viewer: Viewer, input: DeployInput): Promise<DeploymentQueued> {
    const request = idempotencyRequest(input);
    const queued = await this.operations.queueOnce(
      viewer,
      "DEPLOY",
      request,
      async () => this.queueDeploy(viewer, input, await this.chosenTemplateId(viewer, input, input.datacenter), request),
      (operationId) => this.earlierDeploy(viewer, operationId, input.idempotencyKey!),
    );
    return { ...queued, warnings: await this.retirement.warningsFor(queued.server.sourceImageTemplateId ?? "") };
  }

  /** The ID of the template `choice` names: exactly one of an ID and a family (its newest ACTIVE template there, when `datacenter` says where). */
  private async chosenTemplateId(viewer: Viewer, choice: TemplateChoice, datacenter?: string | null): Promise<string> {
    if (choice.imageTemplateId && choice.family) throw ValidationError.field("family", "give imageTemplateId or family, not both");
    if (choice.family) return (await this.families.latest(viewer, choice.family, "family", datacenter)).id;
    if (!choice.imageTemplateId) throw ValidationError.field("imageTemplateId", "give imageTemplateId or family");
    return choice.imageTemplateId;
  }

  private async queueDeploy(viewer: Viewer, input: DeployInput, templateId: string, request: IdempotencyRequest | null): Promise<ServerWithOperation> {
    const template = await this.templates.deployable(viewer, templateId, input.family ? "family" : "imageTemplateId", { shared: true });
    const config = JSON.parse(template.configuration) as RecordedConfiguration;
    // As the other defaults, the kind is the source server's: a STANDARD template's is VIRTUAL.
    const kind = input.kind ?? config.kind;
    const incompatible = refuseTarget(template, kind, "be deployed to bare metal");
    if (incompatible) throw incompatible;
    const available = await this.datacentersOf(template.id);
    const spec = {
      hostname: input.hostname,
      domain: input.domain,
      datacenter: input.datacenter ?? available[0],
      cpu: input.cpu ?? config.cpu,
      memoryMb: input.memoryMb ?? config.memoryMb,
    };

    const problems = new FieldProblems();
    checkHostname(problems, "hostname", spec.hostname);
    checkDomain(problems, "domain", spec.domain);
    checkFqdnLength(problems, "domain", spec.hostname, spec.domain);
    checkRange(problems, "cpu", spec.cpu, SERVER_LIMITS.cpu);
    checkRange(problems, "memoryMb", spec.memoryMb, SERVER_LIMITS.memoryMb);
    checkDatacenter(problems, "datacenter", spec.datacenter);
    if (findDatacenter(spec.datacenter) && !available.includes(spec.datacenter)) {
      problems.add("datacenter", `image template "${template.name}" is not available in ${spec.datacenter}; it is in ${available.join(", ")} (see addImageTemplateDatacenters)`);
    }
    const layout = config.volumes.map((v) => ({ index: v.index, role: v.role, capacityGb: v.capacityGb }));
    (input.volumes ?? []).forEach((requested, i) => {
      const planned = layout.find((v) => v.index === requested.index);
      if (!planned) {
        problems.add(`volumes[${i}].index`, `the template has no volume ${requested.index} (it has ${layout.map((v) => v.index).join(", ")})`);
        return;
      }
      checkCapacity(problems, `volumes[${i}].capacityGb`, requested.capacityGb);
      const tooSmall = volumeTooSmall(requested.capacityGb, planned);
      if (tooSmall) {
        problems.add(`volumes[${i}].capacityGb`, tooSmall);
      } else {
        planned.capacityGb = requested.capacityGb;
      }
    });
    checkUserData(problems, "userData", input.userData);
    checkIdempotencyKey(problems, input.idempotencyKey);
    problems.throwIfAny();

    const plan = { ...newServerPlan(viewer, "DEPLOY", spec), idempotency: request };
    const { operation, made: server } = await this.operations.queue(viewer, plan, async (tx, operationId) => {
      // A refusal rolls the hold back with the rest of the transaction.
      const notHeld = await holdTemplate(tx, template, { now: this.deps.clock.now(), by: viewer.accountId });
      if (notHeld) return notHeld;
      const server = await insertServer(tx, viewer, this.deps, {
        kind,
        ...spec,
        os: config.os,
        volumes: layout as NewServer["volumes"],
        operationId,
        sourceImageTemplateId: template.id,
      });
      return {
        serverId: server.id,
        imageTemplateId: template.id,
        input: { userData: input.userData ?? null, powerOn: startsHost(input.powerOn, config) } satisfies DeployRun,
        made: server,
      };
    });
    return { server, operation };
  }

  /** What a deploy with this key answered: its server and operation, as they are now. */
  private async earlierDeploy(viewer: Viewer, operationId: string, key: string): Promise<ServerWithOperation> {
    const operation = (await this.operations.get(viewer, operationId))!;
    const server = operation.serverId ? await this.deps.db.server.findFirst({ where: { id: operation.serverId, accountId: viewer.accountId } }) : null;
    if (!server) throw idempotencyKeySpent("DEPLOY", key, "server");
    return { server, operation };
  }

  /** Rewrites a server's volumes from a template; identity and network stay. */
  async reload(viewer: Viewer, input: TemplateChoice & { serverId: string; userData?: string | null; powerOn?: boolean | null }): Promise<DeploymentQueued> {
    const server = await this.deps.db.server.findFirst({
      where: { id: input.serverId, accountId: viewer.accountId },
      include: { volumes: true },
    });
    if (!server) throw new NotFoundError("Server", input.serverId, "serverId");
    const chosen = await this.chosenTemplateId(viewer, input, server.datacenter);
    const template = await this.templates.deployable(viewer, chosen, input.family ? "family" : "imageTemplateId", { shared: true });
    const incompatible = refuseTarget(template, server.kind, `be loaded onto bare metal server ${server.fqdn}`);
    if (incompatible) throw incompatible;
    const problems = new FieldProblems();
    const available = await this.datacentersOf(template.id);
    if (!available.includes(server.datacenter)) {
      problems.add("imageTemplateId", `image template "${template.name}" is not available in ${server.datacenter}, where the server is`);
    }
    const captured = await this.deps.db.templateVolume.findMany({ where: { templateId: template.id } });
    for (const volume of captured) {
      const target = server.volumes.find((v) => v.index === volume.index);
      if (!target) problems.add("serverId", `the server has no volume ${volume.index}, which the template restores`);
      else {
        const tooSmall = volumeTooSmall(target.capacityGb, volume);
        if (tooSmall) problems.add("serverId", `the server's ${tooSmall}`);
      }
    }
    checkUserData(problems, "userData", input.userData);
    problems.throwIfAny();

    const operation = await this.operations.queueOnServer(
      viewer,
      {
        serverId: server.id,
        field: "serverId",
        kind: "RELOAD",
        allowedStatuses: ["ACTIVE"],
        statusWhileRunning: "RELOADING",
        imageTemplateId: template.id,
        input: { userData: input.userData ?? null, powerOn: startsHost(input.powerOn, JSON.parse(template.configuration) as RecordedConfiguration) } satisfies DeployRun,
      },
      {
        // Counted as a deployment of the template until the reload ends.
        create: (tx) => holdTemplate(tx, template, { now: this.deps.clock.now(), by: viewer.accountId }),
      },
    );
    const updated = (await this.deps.db.server.findUniqueOrThrow({ where: { id: server.id } })) as ServerRow;
    return { server: updated, operation, warnings: await this.retirement.warningsFor(template.id) };
  }

  private async datacentersOf(templateId: string): Promise<string[]> {
    const [datacenters] = await this.templates.datacentersOf([templateId]);
    return datacenters;
  }
}

