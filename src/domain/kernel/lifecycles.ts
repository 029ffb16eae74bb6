// The lifecycle of each aggregate: its state machine and the one way to change
// its status. A transition is one conditional UPDATE whose WHERE holds the states that may
// move to the target, so it is atomic, portable (SQLite and PostgreSQL alike), and an
// illegal one changes nothing (count 0). The functions return Prisma's lazy promise, so a
// transition can also go into a batch `$transaction([...])` with other writes.
import type { Prisma } from "../../db/prisma.ts";
import type { LocationStatus, OperationStatus, ServerStatus, TemplateStatus } from "./states.ts";
import { StateMachine } from "./state-machine.ts";

type Db = Prisma.TransactionClient;

export const SERVER_LIFECYCLE = new StateMachine<ServerStatus>("server", {
  PROVISIONING: ["ACTIVE", "FAILED"],
  ACTIVE: ["CAPTURING", "RELOADING", "DELETING"],
  CAPTURING: ["ACTIVE"],
  RELOADING: ["ACTIVE"],
  DELETING: ["FAILED"], // a deletion that stopped halfway; a finished one removes the row
  FAILED: ["DELETING"],
});

// ACTIVE, DEPRECATED and OBSOLETE follow the template's retirement times (templates/retirement.ts).
export const TEMPLATE_LIFECYCLE = new StateMachine<TemplateStatus>("image template", {
  CAPTURING: ["ACTIVE", "FAILED"],
  ACTIVE: ["DEPRECATED", "OBSOLETE", "DAMAGED", "DELETING"],
  DEPRECATED: ["ACTIVE", "OBSOLETE", "DAMAGED", "DELETING"],
  OBSOLETE: ["ACTIVE", "DEPRECATED", "DAMAGED", "DELETING"],
  DAMAGED: ["ACTIVE", "DELETING"], // whole again: ACTIVE, then as its retirement times say
  FAILED: ["DELETING"],
  DELETING: ["ACTIVE", "DEPRECATED", "OBSOLETE", "DAMAGED", "FAILED"], // a queued deletion cancelled; a finished one removes the row
});

/** A template's copy in one datacenter (ImageTemplateDatacenter). */
export const LOCATION_LIFECYCLE = new StateMachine<LocationStatus>("template location", {
  COPYING: ["AVAILABLE", "FAILED"],
  AVAILABLE: ["REMOVING"],
  FAILED: ["COPYING", "REMOVING"], // asked for again, or dropped
  REMOVING: ["AVAILABLE"], // a removal that could not finish; a finished one removes the row
});

export const OPERATION_LIFECYCLE = new StateMachine<OperationStatus>("operation", {
  QUEUED: ["RUNNING"],
  RUNNING: ["SUCCEEDED", "FAILED", "CANCELLED"],
  SUCCEEDED: [],
  FAILED: [],
  CANCELLED: [],
});

/** The status a new row starts in. */
export const INITIAL = { server: "PROVISIONING", template: "CAPTURING", operation: "QUEUED" } as const;

type Without<T> = Omit<T, "status">;

/** Moves matching servers to `to` from any state that allows it (or only from `from`). */
export function transitionServer(
  db: Db,
  where: Without<Prisma.ServerWhereInput>,
  to: ServerStatus,
  data: Without<Prisma.ServerUpdateManyMutationInput> = {},
  from?: readonly ServerStatus[],
) {
  return db.server.updateMany({ where: { ...where, status: { in: SERVER_LIFECYCLE.sources(to, from) } }, data: { ...data, status: to } });
}

export function transitionTemplates(
  db: Db,
  where: Without<Prisma.ImageTemplateWhereInput>,
  to: TemplateStatus,
  data: Without<Prisma.ImageTemplateUpdateManyMutationInput> = {},
  from?: readonly TemplateStatus[],
) {
  return db.imageTemplate.updateMany({
    where: { ...where, status: { in: TEMPLATE_LIFECYCLE.sources(to, from) } },
    data: { ...data, status: to },
  });
}

export function transitionOperation(
  db: Db,
  where: Without<Prisma.OperationWhereInput>,
  to: OperationStatus,
  data: Without<Prisma.OperationUpdateManyMutationInput> = {},
) {
  return db.operation.updateMany({ where: { ...where, status: { in: OPERATION_LIFECYCLE.sources(to) } }, data: { ...data, status: to } });
}

export function transitionLocations(
  db: Db,
  where: Without<Prisma.ImageTemplateDatacenterWhereInput>,
  to: LocationStatus,
  data: Without<Prisma.ImageTemplateDatacenterUpdateManyMutationInput> = {},
  from?: readonly LocationStatus[],
) {
  return db.imageTemplateDatacenter.updateMany({ where: { ...where, status: { in: LOCATION_LIFECYCLE.sources(to, from) } }, data: { ...data, status: to } });
}

/** A transition that must happen: a refusal is a ConflictError naming the current status. */
export async function requireServerTransition(
  db: Db,
  serverId: string,
  to: ServerStatus,
  data: Without<Prisma.ServerUpdateManyMutationInput> = {},
): Promise<void> {
  const { count } = await transitionServer(db, { id: serverId }, to, data);
  if (count === 1) return;
  const current = await db.server.findUnique({ where: { id: serverId }, select: { status: true, fqdn: true } });
  throw SERVER_LIFECYCLE.refusal(current?.fqdn ?? serverId, current?.status ?? null, to);
}
