// The one cleanup path of every pipeline that builds a new server (PROVISION, DEPLOY): its
// machine is cut off, its volume files and config drive are removed, its addresses
// released, and it is FAILED.
import { transitionServer } from "../kernel/index.ts";
import type { DomainDeps } from "../deps.ts";
import { RELEASED_ADDRESSES } from "./network.ts";
import type { OperationRow } from "../operations/index.ts";
import { removeMachine } from "./machine.ts";

export interface NewServerUndo {
  volumeIds: string[];
}

export async function failNewServer(deps: DomainDeps, operation: OperationRow, undo: Partial<NewServerUndo>): Promise<void> {
  const server = await deps.db.server.findUnique({ where: { id: operation.serverId ?? "" }, include: { volumes: true } });
  if (server) await removeMachine(deps, server.id);
  const volumeIds = new Set([...(undo.volumeIds ?? []), ...(server?.volumes.map((v) => v.id) ?? [])]);
  for (const id of volumeIds) await deps.volumes.remove(id);
  if (!server) return;
  await deps.configDrives.remove(server.id);
  await transitionServer(deps.db, { id: server.id }, "FAILED", { powerState: "HALTED", ...RELEASED_ADDRESSES });
}
