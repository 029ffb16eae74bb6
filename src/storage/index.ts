// The image store adapters configuration asks for: IMPRINT_STORE, and a store of its own for
// each datacenter that names one (IMPRINT_STORE_<DATACENTER>). Datacenters configured with the
// same location share one adapter and one key. The S3 adapter (and its SDK) is loaded only
// when it is used: the embedded default starts without it.
import type { Config, StoreConfig } from "../config.ts";
import { LocalImageStore, type ImageStore } from "./image-store.ts";

/** A store and the key its catalogue rows carry ("default" for IMPRINT_STORE's). */
export interface KeyedStore {
  key: string;
  store: ImageStore;
}

export const DEFAULT_STORE_KEY = "default";

export interface ImageStores {
  default: KeyedStore;
  /** Each configured datacenter's own store; the others use `default`. */
  datacenters: Map<string, KeyedStore>;
  all: KeyedStore[];
}

/** The first store's problem, for /readyz (a store per datacenter must answer too). */
export async function problemOfAll(stores: KeyedStore[]): Promise<string | null> {
  for (const { store } of stores) {
    const problem = await store.problem();
    if (problem) return stores.length > 1 ? `${store.name}: ${problem}` : problem;
  }
  return null;
}

/** Where a store's objects are: equal for two settings that name the same place. */
function locationOf(config: StoreConfig): string {
  return config.kind === "file" ? `file://${config.path}` : config.location;
}

export async function createImageStore(config: StoreConfig): Promise<ImageStore> {
  if (config.kind === "file") return new LocalImageStore(config.path);
  const { S3ImageStore } = await import("./s3-image-store.ts");
  const store = new S3ImageStore(config.location, config);
  await store.ensureBucket();
  return store;
}

/** The stores of `config`; `defaultStore` stands for IMPRINT_STORE's when given (tests' faulty stores). */
export async function createImageStores(config: Pick<Config, "store" | "datacenterStores">, defaultStore?: ImageStore): Promise<ImageStores> {
  const byLocation = new Map<string, KeyedStore>();
  const fallback = { key: DEFAULT_STORE_KEY, store: defaultStore ?? (await createImageStore(config.store)) };
  byLocation.set(locationOf(config.store), fallback);
  const datacenters = new Map<string, KeyedStore>();
  for (const [code, storeConfig] of Object.entries(config.datacenterStores)) {
    const location = locationOf(storeConfig);
    let keyed = byLocation.get(location);
    if (!keyed) {
      keyed = { key: location, store: await createImageStore(storeConfig) };
      byLocation.set(location, keyed);
    }
    datacenters.set(code, keyed);
  }
  return { default: fallback, datacenters, all: [...byLocation.values()] };
}
