// The Pothos schema builder. Plugin order matters: the audit trail outermost (it records
// every mutation's outcome), then errors (so scope-auth's refusal
// becomes a typed ForbiddenError in a mutation's result), scope-auth, relay, then
// complexity and dataloader.
import SchemaBuilder from "@pothos/core";
import type { GraphQLResolveInfo } from "graphql";
import ComplexityPlugin from "@pothos/plugin-complexity";
import DataloaderPlugin from "@pothos/plugin-dataloader";
import ErrorsPlugin from "@pothos/plugin-errors";
import RelayPlugin from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import { scopesOf } from "../domain/accounts/index.ts";
import { ForbiddenError, ValidationError } from "../domain/kernel/index.ts";
import type { Domain, Viewer } from "../domain/index.ts";
import { fieldCost } from "./query-limits.ts";
import "./audit-plugin.ts";

export interface GraphQLContext {
  viewer: Viewer;
  domain: Domain;
  /** The HTTP request (yoga's); over WebSocket, the upgrade request's URL may be all there is. */
  request?: { url: string };
}

/**
 * The options of every node and field loader: a subscription runs all its events in one
 * context, so a cached load would serve its first event's state to every later one.
 */
export const UNCACHED_LOADS = { cache: false };

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Whether the schema has `typename` as a type that implements Node. */
function isNodeType(info: GraphQLResolveInfo, typename: string): boolean {
  const type = info.schema.getType(typename) as { getInterfaces?: () => ReadonlyArray<{ name: string }> } | undefined;
  return type?.getInterfaces?.().some((face) => face.name === "Node") ?? false;
}

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  /** What a field may require; a token's role grants them (domain/accounts/roles.ts). */
  AuthScopes: { viewer: boolean; operator: boolean; admin: boolean };
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
  Scalars: {
    ID: { Input: string; Output: string };
    DateTime: { Input: Date; Output: Date | string };
    ByteCount: { Input: number; Output: number | bigint };
  };
}>({
  plugins: ["imprintAudit", ErrorsPlugin, ScopeAuthPlugin, RelayPlugin, ComplexityPlugin, DataloaderPlugin],
  scopeAuth: {
    authScopes: (ctx) => scopesOf(ctx.viewer.role),
    unauthorizedError: (_parent, _ctx, info, result) => new ForbiddenError(requiredRole(info, result.failure)),
  },
  // Costs are checked by a validation rule before execution (query-limits.ts), not here.
  complexity: { fieldComplexity: fieldCost },
  defaultFieldNullability: false,
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    edgesFieldOptions: { nullable: false },
    nodeFieldOptions: { nullable: false },
    // The global ID of a type that is no Node (an Account's public ID) reads as null, as a
    // missing object does; Pothos would fail the request ("has not been implemented").
    nodeQueryOptions: {
      resolve: (_root, args, _ctx, info, resolveNode) => (isNodeType(info, args.id.typename) ? resolveNode(args.id) : null),
    },
    nodesQueryOptions: {
      description: `Objects by global ID, in order; null for an ID that does not exist or is not the viewer's. At most 100 IDs.`,
      resolve: (_root, args, ctx, info, resolveNodes) => {
        const max = ctx.domain.deps.config.limits.maxNodeIds;
        if (args.ids.length > max) throw ValidationError.field("ids", `must list at most ${max} IDs, got ${args.ids.length}`);
        // Pothos's resolver reads args.ids itself, and answers null where an entry is null.
        (args as { ids: Array<(typeof args.ids)[number] | null> }).ids = args.ids.map((id) => (isNodeType(info, id.typename) ? id : null));
        return resolveNodes(args.ids);
      },
    },
  },
  errors: {
    defaultTypes: [],
    directResult: true,
    // createServer -> CreateServerResult = CreateServerPayload | ValidationError | ...
    defaultUnionOptions: { name: ({ fieldName }) => `${capitalize(fieldName)}Result` },
  },
});

// Declared once per root type: every query and subscription needs a valid token (VIEWER),
// every mutation OPERATOR unless a field asks for more (token mutations: ADMIN).
builder.queryType({ authScopes: { viewer: true } });
builder.mutationType({ authScopes: { operator: true } });
builder.subscriptionType({ authScopes: { viewer: true } });

/** The role a refused field needs: its own scopes, else the one of the scope that refused it. */
function requiredRole(info: GraphQLResolveInfo, failure: unknown): string {
  const field = info.parentType.getFields()[info.fieldName];
  const own = JSON.stringify((field?.extensions?.pothosOptions as { authScopes?: unknown } | undefined)?.authScopes ?? {});
  const text = `${own} ${JSON.stringify(failure)}`;
  return text.includes('"admin"') ? "ADMIN" : text.includes('"operator"') ? "OPERATOR" : "VIEWER";
}
