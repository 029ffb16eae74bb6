// Tells the request log (ops/request-log.ts) what the request was: its account, its
// operation name (or its root fields), and how it ended.
import { getOperationAST } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Viewer } from "../domain/index.js";
import { requestFacts } from "../ops/request-log.js";

export function useRequestFacts(): Plugin<{ viewer?: Viewer }> {
  return {
    onExecute({ args }) {
      const facts = requestFacts();
      if (!facts) return;
      facts.accountId = args.contextValue.viewer?.accountId;
      const operation = getOperationAST(args.document, args.operationName);
      facts.operationName =
        operation?.name?.value ?? `${operation?.operation ?? "query"} ${operation?.selectionSet.selections.map((s) => ("name" in s && s.name ? s.name.value : "…")).join(",")}`;
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
