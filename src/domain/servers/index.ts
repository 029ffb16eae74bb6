// Servers: creating, powering and deleting them, their addresses and host configuration.
export * from "./delete-server.js";
export * from "./host-config.js";
export * from "./network.js";
export * from "./new-server.js";
export * from "./power.js";
export * from "./provision.js";
export * from "./servers.js";
export * from "./validation.js";
export * from "./machine.js";
