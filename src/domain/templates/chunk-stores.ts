// The chunk catalogue of each image store, and which one serves a datacenter: the store of its
// own (IMPRINT_STORE_<DATACENTER>) or the default one. A capture writes into the source server's
// datacenter's store, a deploy or reload reads from the target's, a copy moves chunks between
// two (templates/replicate-template.ts). Datacenters that share a store share its catalogue.
import type { Db } from "../../db/client.ts";
import { DEFAULT_STORE_KEY } from "../../storage/index.ts";
import type { Chunks } from "./chunks.ts";

export class ChunkStores {
  private readonly byKey: ReadonlyMap<string, Chunks>;
  private readonly keyOfDatacenter: ReadonlyMap<string, string>;
  constructor(byKey: ReadonlyMap<string, Chunks>, keyOfDatacenter: ReadonlyMap<string, string>) {
    if (!byKey.has(DEFAULT_STORE_KEY)) throw new Error("the default store's catalogue is missing");
    this.byKey = byKey;
    this.keyOfDatacenter = keyOfDatacenter;
  }

  /** The default store's catalogue (IMPRINT_STORE). */
  get default(): Chunks {
    return this.byKey.get(DEFAULT_STORE_KEY)!;
  }

  /** The catalogue of the store that serves `datacenter`. */
  in(datacenter: string): Chunks {
    return this.byKey.get(this.keyOfDatacenter.get(datacenter) ?? DEFAULT_STORE_KEY)!;
  }

  /** The catalogues of the stores that serve these datacenters, each once, by key. */
  serving(datacenters: Iterable<string>): Map<string, Chunks> {
    return new Map([...datacenters].map((code) => this.in(code)).map((chunks) => [chunks.key, chunks]));
  }

  /** Every store's catalogue, each once. */
  all(): Chunks[] {
    return [...this.byKey.values()];
  }
}

/** The catalogues of the stores where the template is AVAILABLE, each once, by key. */
export async function storesHolding({ db, stores }: { db: Db; stores: ChunkStores }, templateId: string): Promise<Map<string, Chunks>> {
  const available = await db.imageTemplateDatacenter.findMany({ where: { templateId, status: "AVAILABLE" }, orderBy: { datacenter: "asc" }, select: { datacenter: true } });
  return stores.serving(available.map(({ datacenter }) => datacenter));
}
