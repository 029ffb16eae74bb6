// Deployments: new servers from templates (DEPLOY) and servers rewritten from them (RELOAD).
export * from "./deploy.ts";
export * from "./deployments.ts";
export * from "./restore.ts";
