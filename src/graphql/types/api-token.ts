// API tokens: the viewer's list, and the ADMIN mutations that make and revoke them.
import type { ApiTokenRow } from "../../domain/accounts/index.ts";
import { ROLES } from "../../domain/accounts/index.ts";
import { builder, UNCACHED_LOADS } from "../builder.ts";
import { parseGlobalId } from "../ids.ts";
import { MUTATION_ERRORS } from "./errors.ts";

export const RoleEnum = builder.enumType("Role", {
  values: ROLES,
  description: "VIEWER: queries and subscriptions. OPERATOR: also every mutation on servers and templates. ADMIN: also tokens.",
});

export const ApiTokenNode = builder.loadableNode("ApiToken", {
  description: "A token of the account. Its secret is shown once, when it is made, and never again.",
  id: { resolve: (token: ApiTokenRow) => token.id },
  isTypeOf: (value) => typeof (value as { id?: unknown }).id === "string" && (value as { id: string }).id.startsWith("tok_"),
  loaderOptions: UNCACHED_LOADS,
  // Another role finds none by ID, as for an ID that does not exist (domain: loadTokens).
  load: async (ids: string[], ctx) => {
    const rows = await ctx.domain.accounts.loadTokens(ctx.viewer, ids);
    return ids.map((id) => rows.find((row) => row.id === id) ?? null) as ApiTokenRow[];
  },
  fields: (t) => ({
    name: t.exposeString("name"),
    role: t.field({ type: RoleEnum, resolve: (token) => token.role }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    lastUsedAt: t.expose("lastUsedAt", { type: "DateTime", nullable: true, description: "To the minute." }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", nullable: true }),
    revokedAt: t.expose("revokedAt", { type: "DateTime", nullable: true }),
  }),
});

const CreateApiTokenInput = builder.inputType("CreateApiTokenInput", {
  fields: (t) => ({
    name: t.string({ required: true }),
    role: t.field({ type: RoleEnum, required: true }),
    expiresAt: t.field({ type: "DateTime", required: false, description: "When it stops working; never, when left out." }),
  }),
});

const CreateApiTokenPayload = builder.objectRef<{ token: ApiTokenRow; secret: string }>("CreateApiTokenPayload").implement({
  fields: (t) => ({
    apiToken: t.field({ type: ApiTokenNode, resolve: (p) => p.token }),
    secret: t.exposeString("secret", { description: "The bearer token. Shown only in this answer: only its hash is stored." }),
  }),
});

builder.mutationField("createApiToken", (t) =>
  t.field({
    type: CreateApiTokenPayload,
    authScopes: { admin: true },
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: CreateApiTokenInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.domain.accounts.createToken(ctx.viewer, input),
  }),
);

const RevokeApiTokenInput = builder.inputType("RevokeApiTokenInput", {
  fields: (t) => ({ id: t.id({ required: true }) }),
});

const RevokeApiTokenPayload = builder.objectRef<ApiTokenRow>("RevokeApiTokenPayload").implement({
  fields: (t) => ({ apiToken: t.field({ type: ApiTokenNode, resolve: (token) => token }) }),
});

builder.mutationField("revokeApiToken", (t) =>
  t.field({
    type: RevokeApiTokenPayload,
    description: "Stops a token at once: its next request gets 401, and its open subscriptions end.",
    authScopes: { admin: true },
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: RevokeApiTokenInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.domain.accounts.revokeToken(ctx.viewer, parseGlobalId(String(input.id), "ApiToken", "id")),
  }),
);
