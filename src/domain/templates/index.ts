// Image templates: capture into the content-addressed store, chunk health, verify, delete.
export * from "./capture.js";
export * from "./chunks.js";
export * from "./delete-template.js";
export * from "./replicate-template.js";
export * from "./rules.js";
export * from "./store-lock.js";
export * from "./templates.js";
export * from "./verify-template.js";
