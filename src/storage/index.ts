// The image store adapter configuration asks for. The S3 adapter (and its SDK) is loaded only
// when it is used: the embedded default starts without it.
import type { StoreConfig } from "../config.ts";
import { LocalImageStore, type ImageStore } from "./image-store.ts";

export async function createImageStore(config: StoreConfig): Promise<ImageStore> {
  if (config.kind === "file") return new LocalImageStore(config.path);
  const { S3ImageStore } = await import("./s3-image-store.ts");
  const store = new S3ImageStore(config.location, config);
  await store.ensureBucket();
  return store;
}
