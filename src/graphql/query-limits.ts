// Bounds on one GraphQL request, checked before anything executes (graphql-armor for
// depth, aliases, directives and tokens; the Pothos complexity rule for cost). The cost of a
// query is 1 per field, times the page size of every connection around it (`first`, or the
// default page size), so fan-out is priced; it is reported in `extensions.cost`.
import { maxAliasesPlugin } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthPlugin } from "@escape.tech/graphql-armor-max-depth";
import { maxDirectivesPlugin } from "@escape.tech/graphql-armor-max-directives";
import { maxTokensPlugin } from "@escape.tech/graphql-armor-max-tokens";
import { createComplexityRule } from "@pothos/plugin-complexity";
import {
  getNamedType,
  GraphQLError,
  isListType,
  isNonNullType,
  type GraphQLField,
  type GraphQLOutputType,
  type ValidationContext,
  type ExecutionArgs,
  validate,
} from "graphql";
import { LRUCache } from "lru-cache";
import { requestFactsOf } from "../ops/request-log.ts";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import type { RequestLimits } from "../config.ts";
import { DEFAULT_PAGE_SIZE } from "../domain/kernel/index.ts";

/** Lists that are not connections are short (volumes, datacenters): priced as this many items. */
const SHORT_LIST_SIZE = 10;

function isList(type: GraphQLOutputType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

/** Cost of one field, and how many times its selection counts. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function fieldCost(args: Record<string, unknown>, _ctx: unknown, field: GraphQLField<unknown, any>) {
  if (getNamedType(field.type).name.endsWith("Connection")) {
    return { field: 1, multiplier: typeof args.first === "number" ? args.first : DEFAULT_PAGE_SIZE };
  }
  // A connection's edges are already counted by its page size.
  if (field.name === "edges") return { field: 0, multiplier: 1 };
  if (field.name === "nodes" && Array.isArray(args.ids)) return { field: 1, multiplier: args.ids.length };
  return isList(field.type) ? { field: 1, multiplier: SHORT_LIST_SIZE } : 1;
}

interface Priced {
  cost: number;
  error: GraphQLError | undefined;
}

/**
 * Prices of recent executions of each parsed document (yoga's parser cache hands the same
 * document object to every request with the same text), by operation and variables. Pricing
 * walks the whole document (6% of the read path's CPU when done on every request).
 */
const pricesByDocument = new WeakMap<ExecutionArgs["document"], LRUCache<string, Priced>>();
const PRICES_PER_DOCUMENT = 64;

/**
 * The cost depends on each request's variables (page sizes), so it is priced per operation
 * and variables, with the complexity rule alone, after the (cached) validation of the
 * document: a cached "valid" must not let the same document through with larger pages.
 */
function price(args: ExecutionArgs, maxCost: number): { cost: number; refusal: GraphQLError | null } {
  let prices = pricesByDocument.get(args.document);
  if (!prices) pricesByDocument.set(args.document, (prices = new LRUCache({ max: PRICES_PER_DOCUMENT })));
  const key = `${args.operationName ?? ""}\n${JSON.stringify(args.variableValues ?? {})}`;
  let priced = prices.get(key);
  if (!priced) prices.set(key, (priced = priceOnce(args, maxCost)));
  const { cost, error } = priced;
  if (!error) return { cost, refusal: null };
  const facts = requestFactsOf(args.contextValue);
  if (facts) facts.outcome = String(error.extensions?.code ?? "QUERY_COMPLEXITY");
  return { cost, refusal: new GraphQLError(error.message, { nodes: error.nodes, extensions: { ...error.extensions, http: { status: 400 } } }) };
}

function priceOnce(args: ExecutionArgs, maxCost: number): Priced {
  let cost = 0;
  const [error] = validate(args.schema, args.document, [
    createComplexityRule({
      variableValues: (args.variableValues as Record<string, unknown> | undefined) ?? {},
      operationName: args.operationName ?? undefined,
      context: args.contextValue as object,
      maxComplexity: maxCost,
      onResult: (state) => {
        cost = state.complexity;
      },
    }),
  ]);
  return { cost, error };
}

function useQueryCost(maxCost: number): Plugin {
  return {
    onSubscribe({ args, setResultAndStopExecution }) {
      const { refusal } = price(args, maxCost);
      if (refusal) setResultAndStopExecution({ errors: [refusal] });
    },
    onExecute({ args, setResultAndStopExecution }) {
      const { cost, refusal } = price(args, maxCost);
      if (refusal) {
        setResultAndStopExecution({ errors: [refusal] });
        return;
      }
      return {
        onExecuteDone({ result, setResult }) {
          if (isAsyncIterable(result)) return;
          setResult({ ...result, extensions: { ...result.extensions, cost: { requested: cost, limit: maxCost } } });
        },
      };
    },
  };
}

/**
 * graphql-armor throws its refusals from inside validation, which yoga answers with 200;
 * reported as validation errors they get 400 and a code, like the cost refusal.
 */
function refuseAs(code: string) {
  return {
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) => {
        const refusal = new GraphQLError(error.message.replace(/^Syntax Error: /, ""), { extensions: { code } });
        if (!context) throw refusal;
        context.reportError(refusal);
      },
    ],
  };
}

export function queryLimitPlugins(limits: RequestLimits): Plugin[] {
  return [
    maxTokensPlugin({ n: limits.maxTokens }) as Plugin,
    maxDepthPlugin({ n: limits.maxDepth, flattenFragments: true, ...refuseAs("QUERY_TOO_DEEP") }) as Plugin,
    maxAliasesPlugin({ n: limits.maxAliases, ...refuseAs("TOO_MANY_ALIASES") }) as Plugin,
    maxDirectivesPlugin({ n: limits.maxDirectives, ...refuseAs("TOO_MANY_DIRECTIVES") }) as Plugin,
    useQueryCost(limits.maxCost),
  ];
}
