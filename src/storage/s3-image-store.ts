// The image store on S3 (IMPRINT_STORE=s3://bucket/prefix), through @aws-sdk/client-s3 v3. Tested
// against OpenStack Swift's s3api (scripts/swift-s3.sh), which shapes three settings: path-style
// addresses, checksums only where an operation requires them, and a Content-MD5 header on
// DeleteObjects (Swift refuses the batch delete without it).
//
// Objects: <prefix>chunks/<first two hex>/<sha256>.zst and <prefix>manifests/<name>.json. A chunk
// is immutable and named by its hash, so writing it again is harmless; nothing relies on
// conditional writes (Swift has none). Throttling, 5xx, resets and timeouts are retried by the
// SDK's standard strategy (exponential backoff with full jitter, a bounded number of attempts);
// what still fails is a StoreUnreachableError naming the store.
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import type { ImageStore } from "./image-store.ts";
import { missingObject, StoreRefusedError, StoreUnreachableError } from "./store-errors.ts";
import { parseS3Location } from "./s3-location.ts";

export interface S3StoreOptions {
  /** The S3 endpoint (Swift's proxy, for instance); null: AWS's. */
  endpoint: string | null;
  region: string;
  /** Keys; null: the SDK's own chain (profiles, instance roles). */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | null;
  /** Attempts per request, the first included (the SDK's maxAttempts). */
  attempts: number;
  /** How long one attempt may take, connecting included. */
  timeoutMs: number;
  /** Keys per list request (S3's maximum is 1000; tests page with fewer). */
  listPageSize?: number;
}

const HASH = /^[0-9a-f]{64}$/;
/** S3's limit of keys per DeleteObjects. */
const DELETE_BATCH = 1000;

export class S3ImageStore implements ImageStore {
  readonly name: string;
  readonly bucket: string;
  private readonly prefix: string;
  private readonly client: S3Client;
  private readonly listPageSize: number;

  /** `location` is s3://bucket or s3://bucket/prefix (config.ts reads it and the SDK's variables). */
  constructor(location: string, options: S3StoreOptions) {
    const { bucket, prefix } = parseS3Location(location);
    this.bucket = bucket;
    this.prefix = prefix;
    this.name = `image store "s3://${bucket}/${prefix}"`.replace(/\/"$/, '"');
    this.listPageSize = options.listPageSize ?? 1000;
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint ?? undefined,
      credentials: options.credentials ?? undefined,
      forcePathStyle: true,
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      maxAttempts: options.attempts,
      retryMode: "standard",
      // The SDK only logs a breached request timeout unless told to throw (then it is retried).
      requestHandler: { connectionTimeout: Math.min(options.timeoutMs, 5000), requestTimeout: options.timeoutMs, throwOnRequestTimeout: true },
    });
    this.client.middlewareStack.add(
      (next, context) => async (args) => {
        const request = args.request as { body?: unknown; headers?: Record<string, string> };
        if (context.commandName === "DeleteObjectsCommand" && typeof request.body === "string" && request.headers) {
          request.headers["content-md5"] = createHash("md5").update(request.body).digest("base64");
        }
        return next(args);
      },
      { step: "build", name: "imprintContentMd5ForDeleteObjects" },
    );
  }

  /** Makes the bucket when it is not there; a store imprint cannot use is an error naming it. */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return;
    } catch (error) {
      if (statusOf(error) !== 404) throw this.failure(error, "the bucket");
    }
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      throw this.failure(error, "the bucket");
    }
  }

  async putChunk(hash: string, compressed: Uint8Array): Promise<void> {
    await this.call(hash, () => this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.chunkKey(hash), Body: compressed, ContentLength: compressed.length })));
  }

  async hasChunk(hash: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.chunkKey(hash) }));
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw this.failure(error, `chunk ${hash}`);
    }
  }

  async getChunk(hash: string): Promise<Buffer> {
    const key = this.chunkKey(hash);
    const response = await this.call(key, () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })));
    return readInto(response.Body as Readable, response.ContentLength, this.name);
  }

  async deleteChunk(hash: string): Promise<void> {
    await this.call(hash, () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.chunkKey(hash) })));
  }

  async deleteChunks(hashes: string[]): Promise<void> {
    for (let i = 0; i < hashes.length; i += DELETE_BATCH) {
      const batch = hashes.slice(i, i + DELETE_BATCH);
      const objects = batch.map((hash) => ({ Key: this.chunkKey(hash) }));
      const response = await this.call(`${batch.length} chunks`, () => this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: objects, Quiet: true } })));
      const failed = (response.Errors ?? []).filter((error) => error.Code !== "NoSuchKey");
      if (failed.length > 0) throw new Error(`${this.name} did not delete ${failed.length} of ${batch.length} chunks (${failed[0].Code}: ${failed[0].Message})`);
    }
  }

  async listChunks(): Promise<string[]> {
    const hashes: string[] = [];
    const prefix = `${this.prefix}chunks/`;
    let token: string | undefined;
    do {
      const page = await this.call("the chunk list", () => this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token, MaxKeys: this.listPageSize })));
      for (const { Key } of page.Contents ?? []) {
        const hash = Key?.slice(prefix.length + 3, -4);
        if (hash && HASH.test(hash) && Key!.endsWith(".zst")) hashes.push(hash);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return hashes;
  }

  async putManifest(name: string, manifest: unknown): Promise<void> {
    const body = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    await this.call(name, () => this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.manifestKey(name), Body: body, ContentLength: body.length, ContentType: "application/json" })));
  }

  async getManifest(name: string): Promise<unknown | null> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.manifestKey(name) }));
      return JSON.parse((await readInto(response.Body as Readable, response.ContentLength, this.name)).toString("utf8"));
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw this.failure(error, `manifest ${name}`);
    }
  }

  async deleteManifest(name: string): Promise<void> {
    await this.call(name, () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.manifestKey(name) })));
  }

  async problem(): Promise<string | null> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return null;
    } catch (error) {
      return this.failure(error, "the bucket").message;
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private chunkKey(hash: string): string {
    if (!HASH.test(hash)) throw new Error(`invalid chunk hash ${hash}`);
    return `${this.prefix}chunks/${hash.slice(0, 2)}/${hash}.zst`;
  }

  private manifestKey(name: string): string {
    if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`invalid manifest name ${name}`);
    return `${this.prefix}manifests/${name}.json`;
  }

  /** A request, its failure classified (see `failure`); `what` names the object for messages. */
  private async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw this.failure(error, what);
    }
  }

  /** What a failed request means: a missing object (ENOENT), an unreachable store, or an error naming the store. */
  private failure(error: unknown, what: string): Error {
    const status = statusOf(error);
    if (status === 404 && !/Bucket/.test((error as Error).name)) return missingObject(this.name, what);
    const noAnswer = status === undefined && (error as Error)?.name !== "CredentialsProviderError";
    if (noAnswer || (status !== undefined && (status >= 500 || status === 429))) {
      return new StoreUnreachableError(this.name, `${describe(error)} (after ${attemptsOf(error)} attempt(s))`);
    }
    return new StoreRefusedError(this.name, what, describe(error));
  }
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function attemptsOf(error: unknown): number {
  return (error as { $metadata?: { attempts?: number } })?.$metadata?.attempts ?? 1;
}

function describe(error: unknown): string {
  if (error instanceof S3ServiceException) return `${error.name}${error.message && error.message !== error.name ? `: ${error.message}` : ""} (HTTP ${statusOf(error)})`;
  const code = (error as { code?: string })?.code;
  return `${(error as Error)?.name ?? "Error"}${code ? ` ${code}` : ""}: ${(error as Error)?.message ?? String(error)}`;
}

/** The body read once into a buffer of its announced length (the SDK's own collector copies it twice). */
async function readInto(body: Readable, length: number | undefined, store: string): Promise<Buffer> {
  if (length === undefined) {
    const parts: Buffer[] = [];
    for await (const part of body) parts.push(part as Buffer);
    return Buffer.concat(parts);
  }
  const out = Buffer.allocUnsafe(length);
  let offset = 0;
  for await (const part of body) {
    const bytes = part as Buffer;
    if (offset + bytes.length > length) throw new Error(`an object was longer than its announced ${length} bytes`);
    bytes.copy(out, offset);
    offset += bytes.length;
  }
  if (offset !== length) throw new StoreUnreachableError(store, `a download ended after ${offset} of its ${length} bytes`);
  return out;
}
