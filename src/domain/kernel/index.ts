// The shared kernel of the domain: one error model, ids, pagination, enumerations, the catalogue.
export * from "./catalog.ts";
export * from "./clock.ts";
export * from "./columns.ts";
export * from "./errors.ts";
export * from "./faults.ts";
export * from "./ids.ts";
export * from "./lifecycles.ts";
export * from "./pagination.ts";
export * from "./state-machine.ts";
export * from "./states.ts";
export * from "./task-window.ts";
export * from "./transaction.ts";
export * from "./text.ts";
