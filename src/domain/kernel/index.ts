// The shared kernel of the domain: one error model, ids, pagination, enumerations, the catalogue.
export * from "./catalog.js";
export * from "./clock.js";
export * from "./columns.js";
export * from "./errors.js";
export * from "./faults.js";
export * from "./ids.js";
export * from "./lifecycles.js";
export * from "./pagination.js";
export * from "./state-machine.js";
export * from "./states.js";
export * from "./task-window.js";
export * from "./transaction.js";
export * from "./text.js";
