// Image templates: capture into the content-addressed store, chunk health, verify, delete, locations, retirement.
export * from "./capture.ts";
export * from "./chunks.ts";
export * from "./chunk-stores.ts";
export * from "./delete-template.ts";
export * from "./export-template.ts";
export * from "./exports.ts";
export * from "./families.ts";
export * from "./import-template.ts";
export * from "./imports.ts";
export * from "./locations.ts";
export * from "./replicate-template.ts";
export * from "./retirement.ts";
export * from "./rules.ts";
export * from "./sharing.ts";
export * from "./store-lock.ts";
export * from "./templates.ts";
export * from "./verify-template.ts";
