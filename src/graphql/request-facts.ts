// Tells the request log (ops/request-log.ts) what the request was: its account, its
// operation name (or its root fields), and how it ended.
import { getOperationAST } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Viewer } from "../domain/index.ts";
import { requestFactsOf } from "../ops/request-log.ts";

export function useRequestFacts(): Plugin<{ viewer?: Viewer }> {
  return {
    // Refused before execution (a query limit, a bad document): the refusal is the outcome.
    onValidate({ context }) {
      return ({ result }) => {
        const facts = requestFactsOf(context);
        if (facts && result.length > 0) facts.outcome = String(result[0].extensions?.code ?? "GRAPHQL_VALIDATION_FAILED");
      };
    },
    onExecute({ args }) {
      const facts = requestFactsOf(args.contextValue);
      if (!facts) return;
      facts.accountId = args.contextValue.viewer?.accountId;
      const operation = getOperationAST(args.document, args.operationName);
      facts.rootFields = `${operation?.operation ?? "query"} ${(operation?.selectionSet.selections ?? []).map((s) => ("name" in s && s.name ? s.name.value : "…")).slice(0, 3).join(",")}`;
      facts.operationName = operation?.name?.value ?? facts.rootFields;
      return {
        onExecuteDone({ result }) {
          if (!("errors" in result)) return;
          const code = result.errors?.[0]?.extensions?.code;
          facts.outcome = result.errors?.length ? String(code ?? "error") : "ok";
        },
      };
    },
  };
}
