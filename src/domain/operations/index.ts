// Operations: queueing work, the runner that executes pipelines, progress and events.
export * from "./events.ts";
export * from "./idempotency.ts";
export * from "./lease.ts";
export * from "./operation-snapshot.ts";
export * from "./operations.ts";
export * from "./pipeline.ts";
export * from "./progress.ts";
export * from "./runner.ts";
