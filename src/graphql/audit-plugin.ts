// Every mutation lands in the audit trail, whichever way it ends: a Pothos plugin around each
// Mutation field's resolver, outside the errors and scope-auth plugins, so it sees refusals
// (ForbiddenError, ValidationError…) as the typed results they become, and thrown failures.
import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from "@pothos/core";
import { encodeGlobalID } from "@pothos/plugin-relay";
import type { GraphQLFieldResolver } from "graphql";
import { DomainError, ERROR_CODES } from "../domain/kernel/index.ts";
import type { GraphQLContext } from "./builder.ts";

/** The ID a mutation names in its input, or the object it made. */
function targetOf(args: { input?: Record<string, unknown> }, result: unknown): string | null {
  const input = args.input ?? {};
  for (const key of ["id", "serverId", "imageTemplateId"]) if (typeof input[key] === "string") return input[key] as string;
  const made = result as { server?: { id?: string }; token?: { id?: string } } | null;
  if (made?.server?.id) return encodeGlobalID("Server", made.server.id);
  if (made?.token?.id) return encodeGlobalID("ApiToken", made.token.id);
  return null;
}

export class AuditPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types["Context"], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types["Context"], object> {
    if (fieldConfig.parentType !== "Mutation") return resolver;
    return async (parent, args, context, info) => {
      const ctx = context as unknown as GraphQLContext;
      const record = (outcome: string, result: unknown) =>
        ctx.domain.audit.record(ctx.viewer, { action: info.fieldName, target: targetOf(args as { input?: Record<string, unknown> }, result), outcome });
      try {
        const result = await resolver(parent, args, context, info);
        // A refusal comes back as the errors plugin's proxy of the domain error: known by its code.
        const code = (result as { code?: unknown } | null)?.code;
        if (code === "QUOTA_EXCEEDED") ctx.domain.deps.metrics.refused(`quota ${(result as { quota?: string }).quota ?? ""}`.trim());
        await record(typeof code === "string" && (ERROR_CODES as readonly string[]).includes(code) ? code : "OK", result);
        return result;
      } catch (error) {
        await record(error instanceof DomainError ? error.code : "INTERNAL", null);
        throw error;
      }
    };
  }
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  export namespace PothosSchemaTypes {
    interface Plugins<Types extends SchemaTypes> {
      imprintAudit: AuditPlugin<Types>;
    }
  }
}

SchemaBuilder.registerPlugin("imprintAudit", AuditPlugin);
