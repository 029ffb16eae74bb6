// Servers: creating, powering and deleting them, their addresses and host configuration.
export * from "./compute-hosts.ts";
export * from "./delete-server.ts";
export * from "./host-config.ts";
export * from "./network.ts";
export * from "./new-server.ts";
export * from "./power.ts";
export * from "./provision.ts";
export * from "./servers.ts";
export * from "./validation.ts";
export * from "./machine.ts";
