// Vitest's global setup: names this run, so that its PostgreSQL databases (helpers/database.ts)
// are its own, and drops them at the end; starts the run's Swift for the S3 tests
// (helpers/swift.ts) when it is installed and none is named, and stops it at the end.
import { randomBytes } from "node:crypto";
import { startSwift, swiftUnavailable } from "./swift.ts";

export default async function setup(): Promise<() => Promise<void>> {
  process.env.TEST_DATABASE_RUN ??= randomBytes(4).toString("hex");
  const swift = !process.env.TEST_S3_ENDPOINT && swiftUnavailable() === null ? await startSwift() : null;
  if (swift) process.env.TEST_S3_ENDPOINT = swift.endpoint;
  return async () => {
    await swift?.stop();
    const { dropRunDatabases } = await import("./database.ts");
    dropRunDatabases();
  };
}
