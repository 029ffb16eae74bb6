// An S3 store's location as configured (IMPRINT_STORE), read without loading the SDK.

/** s3://bucket[/prefix] → the bucket and the prefix ("" or ending in "/"); throws on anything else. */
export function parseS3Location(location: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(location);
  if (!match) throw new Error(`"${location}" is not s3://bucket or s3://bucket/prefix (a bucket name is 3 to 63 lower-case letters, digits, "." or "-")`);
  const prefix = (match[2] ?? "").replace(/^\/+|\/+$/g, "");
  return { bucket: match[1], prefix: prefix ? `${prefix}/` : "" };
}
