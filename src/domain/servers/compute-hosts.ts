// Compute hosts: which instance runs a server's machine.
//
// With the simulated hypervisor a machine is a record in the shared data folder, so any
// instance runs any server's operations and servers have no host. With QEMU a machine is a
// process on one instance's machine (Nova's compute host): a new server is placed on a live
// host, only that host's runner claims its operations, and while the host is gone (it has not
// beaten for the stale-owner time) a request that needs the machine is refused with
// HostUnavailableError, and work already queued for it ends with that error instead of
// waiting for ever. An operation the host was running when it died stays RUNNING until the
// host starts again and rolls it back: only it can reach the machine (docs/decisions/compute-hosts.md).
import type { Prisma } from "../../db/prisma.ts";
import type { DomainDeps } from "../deps.ts";
import { HostUnavailableError, type ServerKind, type Tx } from "../kernel/index.ts";

type HostDeps = Pick<DomainDeps, "db" | "clock" | "config" | "hypervisor">;

export class ComputeHosts {
  /** This instance's name as a compute host when machines are bound to hosts (QEMU); null when they are shared. */
  readonly self: string | null;
  private readonly deps: HostDeps;

  constructor(deps: HostDeps) {
    this.deps = deps;
    this.self = deps.hypervisor.kind === "qemu" ? deps.config.hypervisor.computeHost : null;
  }

  /**
   * Records that this host is alive: at start (`starting`, which also adopts the servers that
   * have no host yet, made before hosts were recorded) and at every heartbeat of the runner.
   */
  async beat({ starting = false } = {}): Promise<void> {
    if (!this.self) return;
    const { db, clock, hypervisor } = this.deps;
    const now = clock.now();
    await db.computeHost.upsert({
      where: { name: this.self },
      create: { name: this.self, hypervisor: hypervisor.kind, startedAt: now, heartbeatAt: now },
      update: starting ? { hypervisor: hypervisor.kind, startedAt: now, heartbeatAt: now } : { heartbeatAt: now },
    });
    if (starting) await db.server.updateMany({ where: { host: null, kind: "VIRTUAL" }, data: { host: this.self } });
  }

  /**
   * The host a new server goes on: the live host with the fewest servers, this one on a tie;
   * null when machines are shared, and for bare metal, whose machines are always simulated.
   */
  async place(tx: Tx, kind: ServerKind): Promise<string | null> {
    if (!this.self || kind === "BARE_METAL") return null;
    const live = await this.liveHosts(tx);
    const counts = await tx.server.groupBy({ by: ["host"], where: { host: { in: live } }, _count: { _all: true } });
    const load = new Map(counts.map((row) => [row.host, row._count._all]));
    const loadOf = (name: string) => load.get(name) ?? 0;
    return live.reduce((best, name) => (loadOf(name) < loadOf(best) ? name : best), this.self);
  }

  /** Why the server's machine cannot be reached now (its host is gone), or null. The caller has checked the server is the viewer's. */
  async refusal(tx: Tx, serverId: string): Promise<HostUnavailableError | null> {
    if (!this.self) return null;
    const server = await tx.server.findUnique({ where: { id: serverId }, select: { host: true } });
    if (!server?.host || server.host === this.self) return null;
    const host = await tx.computeHost.findUnique({ where: { name: server.host }, select: { heartbeatAt: true } });
    if (host && host.heartbeatAt >= this.cutoff()) return null;
    return new HostUnavailableError(server.host, host?.heartbeatAt ?? null);
  }

  /** The servers whose machines this instance runs: all when machines are shared; else those on this host or on none. */
  serversHere(): Prisma.ServerWhereInput {
    if (!this.self) return {};
    return { OR: [{ host: null }, { host: this.self }] };
  }

  /** The operations this instance's runner may claim or take over: those of no server, or of a server here. */
  claimable(): Prisma.OperationWhereInput {
    if (!this.self) return {};
    return { OR: [{ serverId: null }, { server: { is: this.serversHere() } }] };
  }

  /** QUEUED operations of servers whose host is gone, with the host each waits for. */
  async stranded(): Promise<Array<{ operationId: string; host: string; lastSeenAt: Date | null }>> {
    if (!this.self) return [];
    const { db } = this.deps;
    const live = await this.liveHosts(db);
    const rows = await db.operation.findMany({
      where: { status: "QUEUED", server: { is: { host: { notIn: live } } } },
      select: { id: true, server: { select: { host: true } } },
      orderBy: { id: "asc" },
    });
    if (rows.length === 0) return [];
    const seen = await db.computeHost.findMany({ select: { name: true, heartbeatAt: true } });
    const lastSeen = new Map(seen.map((host) => [host.name, host.heartbeatAt]));
    return rows.flatMap((row) => (row.server?.host ? [{ operationId: row.id, host: row.server.host, lastSeenAt: lastSeen.get(row.server.host) ?? null }] : []));
  }

  /** Names of the hosts that beat within the stale-owner time, this one always among them. */
  private async liveHosts(tx: Tx | DomainDeps["db"]): Promise<string[]> {
    const rows = await tx.computeHost.findMany({ where: { heartbeatAt: { gte: this.cutoff() } }, select: { name: true }, orderBy: { name: "asc" } });
    return [...new Set([this.self!, ...rows.map((row) => row.name)])];
  }

  private cutoff(): Date {
    return new Date(this.deps.clock.millis() - this.deps.config.staleOwnerMs);
  }
}
