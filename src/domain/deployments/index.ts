// Deployments: new servers from templates (DEPLOY) and servers rewritten from them (RELOAD).
export * from "./deploy.js";
export * from "./deployments.js";
export * from "./restore.js";
