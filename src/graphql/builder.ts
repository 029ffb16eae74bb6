// The Pothos schema builder. Plugin order matters: errors and relay, then complexity
// and dataloader).
import SchemaBuilder from "@pothos/core";
import ComplexityPlugin from "@pothos/plugin-complexity";
import DataloaderPlugin from "@pothos/plugin-dataloader";
import ErrorsPlugin from "@pothos/plugin-errors";
import RelayPlugin from "@pothos/plugin-relay";
import { ValidationError } from "../domain/kernel/index.js";
import type { Domain, Viewer } from "../domain/index.js";
import { fieldCost } from "./query-limits.js";

export interface GraphQLContext {
  viewer: Viewer;
  domain: Domain;
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
  Scalars: {
    ID: { Input: string; Output: string };
    DateTime: { Input: Date; Output: Date | string };
    ByteCount: { Input: number; Output: number | bigint };
  };
}>({
  plugins: [ErrorsPlugin, RelayPlugin, ComplexityPlugin, DataloaderPlugin],
  // Costs are checked by a validation rule before execution (query-limits.ts), not here.
  complexity: { fieldComplexity: fieldCost },
  defaultFieldNullability: false,
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    edgesFieldOptions: { nullable: false },
    nodeFieldOptions: { nullable: false },
    nodesQueryOptions: {
      description: `Objects by global ID, in order; null for an ID that does not exist or is not the viewer's. At most 100 IDs.`,
      resolve: (_root, args, ctx, _info, resolveNodes) => {
        const max = ctx.domain.deps.config.limits.maxNodeIds;
        if (args.ids.length > max) throw ValidationError.field("ids", `must list at most ${max} IDs, got ${args.ids.length}`);
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

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
