// Image templates: capturing them from servers, renaming, deleting, and reading them.
import { randomUUID } from "node:crypto";
import { Prisma } from "../../db/prisma.ts";
import { isUniqueViolation } from "../../db/errors.ts";
import type { DomainDeps, Viewer } from "../deps.ts";
import { allOf, columnsSql, containsText, joinSql, selectPage, selectRows, sql } from "../../db/raw-sql.ts";
import {
  INITIAL,
  transitionTemplates,
  ConflictError,
  FieldProblems,
  NotFoundError,
  ObsoleteTemplateError,
  ValidationError,
  type DomainError,
  inIdOrder,
  keyset,
  toPage,
  type Page,
  type PageArgs,
  checkText,
  ALL_COLUMNS,
  type Columns,
  type Tx,
} from "../kernel/index.ts";
import { shortHash } from "./chunks.ts";
import { DEPLOYABLE, holdTemplate, ownedOrSharedWith, refuseCapture } from "./rules.ts";
import { RETIRABLE, RETIRED } from "./retirement.ts";
import { checkFamilyName } from "./families.ts";
import { checkIdempotencyKey, idempotencyKeySpent, idempotencyRequest, type IdempotencyRequest, type OperationSnapshot, type Operations } from "../operations/index.ts";
import type { ImageTemplateKind, PowerState, ServerKind, TemplateStatus, VolumeRole } from "../kernel/index.ts";

export type TemplateRow = Prisma.ImageTemplateGetPayload<object>;
/** A template's copy in one datacenter. */
export type LocationRow = Prisma.ImageTemplateDatacenterGetPayload<object>;
/** A location with what the template holds in that datacenter's store. */
export type Location = LocationRow & { storedBytes: number };
export type TemplateVolumeRow = Prisma.TemplateVolumeGetPayload<object>;

export interface CaptureInput {
  serverId: string;
  name: string;
  note?: string | null;
  /** STANDARD (the default) or FLEX. */
  kind?: ImageTemplateKind | null;
  /** The family it joins (families.ts). */
  family?: string | null;
  /** Volumes to capture; default: every volume except swap. */
  volumeIndexes?: number[] | null;
  idempotencyKey?: string | null;
}

/** What the CAPTURE pipeline is given. */
export interface CaptureRun {
  volumeIndexes: number[];
}

export interface TemplateFilter {
  status?: TemplateStatus[] | null;
  /** Without it (and without `status`), DEPRECATED and OBSOLETE templates are left out. */
  includeDeprecated?: boolean | null;
  kind?: ImageTemplateKind | null;
  /** Templates other accounts share with the viewer, instead of its own. */
  sharedWithViewer?: boolean;
  nameContains?: string | null;
  datacenter?: string | null;
  sourceServerId?: string | null;
}

export interface TemplateWithOperation {
  imageTemplate: TemplateRow;
  operation: OperationSnapshot;
}

/** What a template records of its source server, enough to deploy it elsewhere. */
export interface RecordedConfiguration {
  kind: ServerKind;
  os: string;
  cpu: number;
  memoryMb: number;
  datacenter: string;
  volumes: Array<{ index: number; role: VolumeRole; capacityGb: number; captured: boolean }>;
  /** The source server's power state before the capture (absent in templates captured before it was recorded). */
  powerState?: PowerState;
}

const NAME_MAX = 100;
const NOTE_MAX = 2000;

export class Templates {
  private readonly deps: DomainDeps;
  private readonly operations: Operations;
  constructor(
    deps: DomainDeps,
    operations: Operations,
  ) {
    this.deps = deps;
    this.operations = operations;
  }

  async capture(viewer: Viewer, input: CaptureInput): Promise<TemplateWithOperation> {
    const name = input.name.trim();
    const problems = new FieldProblems();
    checkName(problems, name);
    checkText(problems, "note", input.note ?? "", { min: 0, max: NOTE_MAX, multiline: true });
    if (input.family) checkFamilyName(problems, "family", input.family);
    checkIdempotencyKey(problems, input.idempotencyKey);
    problems.throwIfAny();
    const request = idempotencyRequest({ ...input, name });
    return this.operations.queueOnce(
      viewer,
      "CAPTURE",
      request,
      () => this.queueCapture(viewer, input, name, request),
      (operationId) => this.earlierCapture(viewer, operationId, input.idempotencyKey!),
    );
  }

  private async queueCapture(viewer: Viewer, input: CaptureInput, name: string, request: IdempotencyRequest | null): Promise<TemplateWithOperation> {
    const server = await this.deps.db.server.findFirst({
      where: { id: input.serverId, accountId: viewer.accountId },
      include: { volumes: { orderBy: { index: "asc" } } },
    });
    if (!server) throw new NotFoundError("Server", input.serverId, "serverId");
    const kind = input.kind ?? "STANDARD";
    const incompatible = refuseCapture(kind, server, this.deps.catalog);
    if (incompatible) throw incompatible;
    const volumeIndexes = chooseVolumes(server.volumes, input.volumeIndexes);

    const templateId = this.deps.ids.next("img");
    const operation = await this.operations.queueOnServer(
      viewer,
      {
        serverId: server.id,
        field: "serverId",
        kind: "CAPTURE",
        allowedStatuses: ["ACTIVE"],
        quotas: ["templates", "storedBytes", "concurrentOperations"],
        statusWhileRunning: "CAPTURING",
        imageTemplateId: templateId,
        input: { volumeIndexes } satisfies CaptureRun,
        idempotency: request,
      },
      {
        check: (tx) => nameTaken(tx, viewer.accountId, name),
        create: async (tx) => {
          await tx.imageTemplate.create({
            data: {
              id: templateId,
              accountId: viewer.accountId,
              globalIdentifier: randomUUID(),
              name,
              note: input.note ?? "",
              kind,
              family: input.family || null,
              status: INITIAL.template,
              sourceServerId: server.id,
              datacenters: { create: [{ datacenter: server.datacenter }] },
            },
          });
        },
      },
    );
    return { imageTemplate: await this.getOrThrow(viewer, templateId), operation };
  }

  /** What a capture with this key answered: its template and operation, as they are now. */
  private async earlierCapture(viewer: Viewer, operationId: string, key: string): Promise<TemplateWithOperation> {
    const operation = (await this.operations.get(viewer, operationId))!;
    const template = operation.imageTemplateId ? await this.deps.db.imageTemplate.findFirst({ where: { id: operation.imageTemplateId, accountId: viewer.accountId } }) : null;
    if (!template) throw idempotencyKeySpent("CAPTURE", key, "image template");
    return { imageTemplate: template, operation };
  }

  async captureOperation(viewer: Viewer, templateId: string): Promise<OperationSnapshot | null> {
    const [operation] = await this.captureOperations(viewer, [templateId]);
    return operation;
  }

  /** The CAPTURE operation of each template, in two statements whatever the number of templates. */
  async captureOperations(viewer: Viewer, templateIds: readonly string[]): Promise<(OperationSnapshot | null)[]> {
    const rows = await this.deps.db.operation.findMany({
      where: { accountId: viewer.accountId, imageTemplateId: { in: [...templateIds] }, kind: "CAPTURE" },
      orderBy: { id: "asc" },
      select: { id: true, imageTemplateId: true },
    });
    const first = new Map<string, string>();
    for (const row of rows) if (!first.has(row.imageTemplateId!)) first.set(row.imageTemplateId!, row.id);
    const ids = templateIds.map((id) => first.get(id) ?? null);
    const found = await this.operations.loadMany(viewer, ids.filter((id): id is string => id !== null));
    const byId = new Map(found.filter((op): op is OperationSnapshot => op !== null).map((op) => [op.id, op]));
    return ids.map((id) => (id ? (byId.get(id) ?? null) : null));
  }


  /** Renames, notes, protects, and moves into a family (an empty family: out of it). */
  async update(viewer: Viewer, input: { id: string; name?: string | null; note?: string | null; protected?: boolean | null; family?: string | null }): Promise<TemplateRow> {
    const template = await this.getOrThrow(viewer, input.id, "id");
    const problems = new FieldProblems();
    const name = input.name?.trim();
    if (name !== undefined) checkName(problems, name);
    if (input.note != null) checkText(problems, "note", input.note, { min: 0, max: NOTE_MAX, multiline: true });
    if (input.family) checkFamilyName(problems, "family", input.family);
    problems.throwIfAny();
    if (template.status === "DELETING") throw new ConflictError(`image template ${template.name} is being deleted`, template.status);
    if (name && name !== template.name) {
      const clash = await this.deps.db.imageTemplate.findFirst({ where: { accountId: viewer.accountId, name }, select: { id: true } });
      if (clash) throw ValidationError.field("name", `an image template named "${name}" already exists`);
    }
    try {
      return await this.deps.db.imageTemplate.update({
        where: { id: template.id },
        data: {
          ...(name ? { name } : {}),
          ...(input.note != null ? { note: input.note } : {}),
          ...(input.protected != null ? { protected: input.protected } : {}),
          ...(input.family != null ? { family: input.family || null } : {}),
        },
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw ValidationError.field("name", `an image template named "${name}" already exists`);
      throw error;
    }
  }

  /** Queues VERIFY_TEMPLATE: every chunk read back and checked; see verify-template.ts. */
  async verify(viewer: Viewer, id: string): Promise<TemplateWithOperation> {
    const template = await this.getOrThrow(viewer, id, "id");
    const { operation } = await this.operations.queue(viewer, { kind: "VERIFY_TEMPLATE", quotas: ["concurrentOperations"] }, async (tx) => {
      // Held like a deployment: the template cannot be deleted while it is read.
      const notHeld = await holdTemplate(tx, template, { now: this.deps.clock.now(), statuses: [...RETIRABLE, "DAMAGED"] });
      return notHeld ?? { imageTemplateId: id, made: undefined };
    });
    return { imageTemplate: await this.getOrThrow(viewer, id, "id"), operation };
  }

  /**
   * The template when it can be deployed (or copied); otherwise why not (NotFoundError naming
   * `field`, or whyNotDeployable's). Only the viewer's own, unless `shared` (a deploy or reload
   * may take a template shared with the viewer).
   */
  async deployable(viewer: Viewer, id: string, field: string, { shared = false } = {}): Promise<TemplateRow> {
    const template = shared
      ? await this.deps.db.imageTemplate.findFirst({ where: { id, ...ownedOrSharedWith(viewer.accountId) } })
      : await this.getOrThrow(viewer, id, field);
    if (!template) throw new NotFoundError("ImageTemplate", id, field);
    const refusal = await this.whyNotDeployable(template);
    if (refusal) throw refusal;
    return template;
  }

  /**
   * Why a template cannot be deployed: OBSOLETE (naming its replacement), DAMAGED (naming a
   * damaged chunk and its volume), or another status; null when it deploys (ACTIVE or
   * DEPRECATED). The queueing transaction decides again, with the retirement times settled.
   */
  async whyNotDeployable(template: TemplateRow): Promise<DomainError | null> {
    if (DEPLOYABLE.includes(template.status)) return null;
    if (template.status === "OBSOLETE") return new ObsoleteTemplateError(template, await this.replacementOf(template));
    if (template.status !== "DAMAGED") {
      return new ConflictError(`image template "${template.name}" is ${template.status}; only ACTIVE templates can be deployed`, template.status);
    }
    const damaged = await this.deps.chunks.damagedOf(template.id);
    const volumes = await this.volumesOf([template.id]);
    const where = damaged.slice(0, 3).map((hash) => {
      const volume = volumes.find((v) => (JSON.parse(v.chunks) as Array<[number, string]>).some(([, h]) => h === hash));
      return `chunk ${shortHash(hash)} of volume ${volume?.index ?? "?"}`;
    });
    return new ConflictError(
      `image template "${template.name}" is DAMAGED: ${where.join(", ") || "a chunk"} is missing or damaged; capture its source again, or verify it once the chunk is restored`,
      "DAMAGED",
    );
  }

  /** The template a retired one names instead of itself, when it names one that still exists. */
  async replacementOf(template: { replacementId: string | null }): Promise<{ id: string; name: string } | null> {
    if (!template.replacementId) return null;
    return this.deps.db.imageTemplate.findUnique({ where: { id: template.replacementId }, select: { id: true, name: true } });
  }

  /** Queues DELETE_TEMPLATE. Refused while the template is captured or deployed from. */
  async delete(viewer: Viewer, id: string): Promise<TemplateWithOperation> {
    // Deleting is never refused by the quotas: it is how an account gets back under them.
    const { operation } = await this.operations.queue(viewer, { kind: "DELETE_TEMPLATE", quotas: [] }, async (tx) => {
      const template = await tx.imageTemplate.findFirst({ where: { id, accountId: viewer.accountId } });
      if (!template) return new NotFoundError("ImageTemplate", id, "id");
      // Read in the same serializable transaction as the move: a share made meanwhile makes it run again.
      const shares = await tx.templateShare.count({ where: { templateId: id } });
      if (shares > 0) {
        return new ConflictError(`image template ${template.name} is shared with ${shares} account(s); unshare it from them first`, "SHARED");
      }
      const locked = await transitionTemplates(tx, { id, accountId: viewer.accountId, activeDeployCount: 0, protected: false }, "DELETING");
      if (locked.count === 1) return { imageTemplateId: id, input: { statusBefore: template.status }, made: undefined };
      if (template.protected) {
        return new ConflictError(`image template ${template.name} is protected; clear it with updateImageTemplate(input: { protected: false }) to delete it`, "PROTECTED");
      }
      if (template.activeDeployCount > 0) {
        return new ConflictError(`image template ${template.name} has ${template.activeDeployCount} deployment(s) in flight`, "DEPLOYMENTS_IN_FLIGHT");
      }
      return new ConflictError(`image template ${template.name} is ${template.status}`, template.status);
    });
    return { imageTemplate: await this.getOrThrow(viewer, id, "id"), operation };
  }

  /** The viewer's template, or a NotFoundError naming `field`. */
  async getOrThrow(viewer: Viewer, id: string, field = "id"): Promise<TemplateRow> {
    const template = await this.deps.db.imageTemplate.findFirst({ where: { id, accountId: viewer.accountId } });
    if (!template) throw new NotFoundError("ImageTemplate", id, field);
    return template;
  }

  /** The viewer's templates by id, and those shared with it, in the order asked; with `columns`, rows hold those only (the API reads no others). */
  async loadMany(viewer: Viewer, ids: readonly string[], columns: Columns<TemplateRow> = ALL_COLUMNS): Promise<(TemplateRow | null)[]> {
    if (ids.length === 0) return [];
    const rows = await selectRows<TemplateRow>(
      this.deps.db,
      sql`SELECT ${columnsSql(columns, Prisma.ImageTemplateScalarFieldEnum)} FROM "ImageTemplate" WHERE ${visibleTo(viewer.accountId)} AND "id" IN (${joinSql(ids)})`,
    );
    return inIdOrder(ids, rows);
  }

  /** A page of the viewer's templates; its rows hold `columns` only (the API reads no others). */
  async list(viewer: Viewer, args: PageArgs, filter: TemplateFilter = {}, columns: Columns<TemplateRow> = ALL_COLUMNS): Promise<Page<TemplateRow>> {
    const page = keyset(args, this.deps.config.maxPageSize, "asc");
    const where = allOf([
      filter.sharedWithViewer ? sharedWith(viewer.accountId) : sql`"accountId" = ${viewer.accountId}`,
      ...(filter.status?.length ? [sql`"status" IN (${joinSql(filter.status)})`] : []),
      ...(!filter.status?.length && !filter.includeDeprecated ? [sql`"status" NOT IN (${joinSql(RETIRED)})`] : []),
      ...(filter.kind ? [sql`"kind" = ${filter.kind}`] : []),
      ...(filter.nameContains ? [containsText(sql`"name"`, filter.nameContains)] : []),
      ...(filter.datacenter
        ? [sql`EXISTS (SELECT 1 FROM "ImageTemplateDatacenter" AS "available" WHERE "available"."templateId" = "ImageTemplate"."id" AND "available"."datacenter" = ${filter.datacenter})`]
        : []),
      ...(filter.sourceServerId ? [sql`"sourceServerId" = ${filter.sourceServerId}`] : []),
    ]);
    const { rows, count } = await selectPage<TemplateRow>(this.deps.db, "ImageTemplate", columnsSql(columns, Prisma.ImageTemplateScalarFieldEnum), where, page);
    return toPage(rows, page.size, count);
  }

  /** Captured volumes of many templates in one statement, in index order. */
  volumesOf(templateIds: readonly string[]): Promise<TemplateVolumeRow[]> {
    return this.deps.db.templateVolume.findMany({
      where: { templateId: { in: [...templateIds] } },
      orderBy: [{ templateId: "asc" }, { index: "asc" }],
    });
  }

  /** Datacenters where each template can be deployed (its AVAILABLE locations), in one statement. */
  async datacentersOf(templateIds: readonly string[]): Promise<string[][]> {
    const rows = await this.deps.db.imageTemplateDatacenter.findMany({
      where: { templateId: { in: [...templateIds] }, status: "AVAILABLE" },
      orderBy: { datacenter: "asc" },
    });
    return templateIds.map((id) => rows.filter((row) => row.templateId === id).map((row) => row.datacenter));
  }

  /**
   * Every location of each template, whatever its state, with the compressed bytes of the
   * chunks the template has in that datacenter's store (shared chunks counted in full), in two
   * statements.
   */
  async locationsOf(templateIds: readonly string[]): Promise<Location[]> {
    if (templateIds.length === 0) return [];
    const rows = await this.deps.db.imageTemplateDatacenter.findMany({
      where: { templateId: { in: [...templateIds] } },
      orderBy: [{ templateId: "asc" }, { datacenter: "asc" }],
    });
    const sums = await selectRows<{ templateId: string; store: string; storedBytes: number | bigint | null }>(
      this.deps.db,
      sql`SELECT tc."templateId", tc."store", SUM(c."storedBytes") AS "storedBytes" FROM "TemplateChunk" tc
        JOIN "Chunk" c ON c."store" = tc."store" AND c."hash" = tc."hash"
        WHERE tc."templateId" IN (${joinSql(templateIds)}) GROUP BY tc."templateId", tc."store"`,
    );
    const stored = new Map(sums.map((row) => [`${row.templateId} ${row.store}`, Number(row.storedBytes ?? 0)]));
    return rows.map((row) => ({ ...row, storedBytes: stored.get(`${row.templateId} ${this.deps.stores.in(row.datacenter).key}`) ?? 0 }));
  }
}

const sharedWith = (accountId: string) => sql`EXISTS (SELECT 1 FROM "TemplateShare" AS "share" WHERE "share"."templateId" = "ImageTemplate"."id" AND "share"."accountId" = ${accountId})`;
const visibleTo = (accountId: string) => sql`("accountId" = ${accountId} OR ${sharedWith(accountId)})`;

/** A ValidationError on `name` when the account has a template of that name already; for a queueing transaction. */
export async function nameTaken(tx: Tx, accountId: string, name: string): Promise<ValidationError | null> {
  const clash = await tx.imageTemplate.findFirst({ where: { accountId, name }, select: { status: true } });
  return clash ? ValidationError.field("name", `an image template named "${name}" already exists (${clash.status})`) : null;
}

/** A template's name: 1 to 100 characters, one line. */
export function checkName(problems: FieldProblems, name: string): void {
  checkText(problems, "name", name, { max: NAME_MAX });
}

function chooseVolumes(volumes: Array<{ index: number; role: string }>, requested: number[] | null | undefined): number[] {
  if (requested == null) return volumes.filter((v) => v.role !== "SWAP").map((v) => v.index);
  const problems = new FieldProblems();
  if (requested.length === 0) problems.add("volumeIndexes", "must name at least one volume (or be left out for every non-swap volume)");
  requested.forEach((index, i) => {
    const volume = volumes.find((v) => v.index === index);
    if (!volume) problems.add(`volumeIndexes[${i}]`, `the server has no volume ${index}`);
    else if (volume.role === "SWAP") problems.add(`volumeIndexes[${i}]`, `volume ${index} is swap, which is never captured`);
    if (requested.indexOf(index) !== i) problems.add(`volumeIndexes[${i}]`, `volume ${index} is listed twice`);
  });
  problems.throwIfAny();
  return [...requested].sort((a, b) => a - b);
}
