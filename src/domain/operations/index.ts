// Operations: queueing work, the runner that executes pipelines, progress and events.
export * from "./events.js";
export * from "./operation-snapshot.js";
export * from "./operations.js";
export * from "./pipeline.js";
export * from "./progress.js";
export * from "./runner.js";
