// graphql-jit for queries: it compiles a query document once into plain JavaScript, which
// served the read path's page about 1.4 times as fast as graphql-js (bench/findings.md).
//
// Only for a document holding one query operation:
// - mutations and subscriptions keep graphql-js: graphql-jit departs from the spec for
//   variables (an input object's default values are not applied, graphql-jit#142, and an
//   omitted field arrives as null rather than absent, #91); for a mutation, a null the
//   client never sent could clear a field;
// - the plugin keeps one compiled query per document, whatever the operationName, so a
//   document with several operations would run the first one it compiled.
import { useGraphQlJit } from "@envelop/graphql-jit";
import { Kind, type DocumentNode } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Logger } from "../domain/deps.ts";

const singleQuery = new WeakMap<DocumentNode, boolean>();

function isSingleQuery(document: DocumentNode): boolean {
  let known = singleQuery.get(document);
  if (known === undefined) {
    const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
    known = operations.length === 1 && operations[0].operation === "query";
    singleQuery.set(document, known);
  }
  return known;
}

export function useJitForQueries(log: Logger): Plugin {
  return useGraphQlJit(
    {},
    {
      enableIf: (args) => isSingleQuery(args.document),
      onError: (result) => log.error("graphql-jit could not compile a query", { errors: result.errors?.map((error) => error.message) }),
    },
  ) as Plugin;
}
