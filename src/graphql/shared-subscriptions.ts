// Subscribers of the same subscription share one source: the same document and operation,
// the same variables and the same account. Its events are read once, each result is
// computed once, and every subscriber gets that result (over SSE, encoded once:
// sse-streams.ts). A thousand clients following one capture cost one event listener and one
// execution per change, not a thousand.
//
// A root field says on the schema whether it can be shared, and how a subscriber who comes
// late catches up (`extensions: { sharing }`):
// - "latest": every event is a whole state (operationProgress); a late subscriber gets the
//   latest result first, which is what a subscription of its own would have started with;
// - "live": a stream of changes from now on (operationEvents); a late subscriber gets the next ones.
// A field without it (serverConsole, whose backlog depends on when one subscribes) is not shared.
import { getOperationAST, type DocumentNode, type ExecutionResult, type GraphQLError, type GraphQLSchema } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import { SUBSCRIBER_BUFFER } from "../domain/operations/index.ts";
import type { GraphQLContext } from "./builder.ts";
import { SubscriberQueue } from "./subscriber-queue.ts";

export type Sharing = "latest" | "live";

/** What a shared result becomes before its followers get it (masked, as yoga would mask each one's). */
export type PrepareResult = (result: ExecutionResult, context: unknown) => ExecutionResult;

class SharedSource {
  /** Every subscriber handed out and not gone, started or not: the last one to go closes the source. */
  private readonly members = new Set<SubscriberQueue>();
  private latest: ExecutionResult | null = null;
  private finished = false;

  private readonly source: AsyncIterator<ExecutionResult>;
  private readonly prepare: (result: ExecutionResult) => ExecutionResult;
  private readonly forget: () => void;
  constructor(
    source: AsyncIterator<ExecutionResult>,
    prepare: (result: ExecutionResult) => ExecutionResult,
    forget: () => void,
  ) {
    this.source = source;
    this.prepare = prepare;
    this.forget = forget;
    void this.pump();
  }

  join(sharing: Sharing): AsyncIterableIterator<ExecutionResult> {
    const subscriber: SubscriberQueue = new SubscriberQueue(SUBSCRIBER_BUFFER, () => {
      if (this.members.delete(subscriber) && this.members.size === 0) this.close();
    });
    this.members.add(subscriber);
    if (sharing === "latest" && this.latest) subscriber.push(this.latest);
    if (this.finished) subscriber.stop();
    return subscriber;
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        const next = await this.source.next();
        if (next.done) break;
        this.publish(this.prepare(next.value));
      }
    } catch (error) {
      // The source failed: its followers get the masked error as their last result. (This
      // runs detached from any request: nothing may escape it, or the process would exit.)
      try {
        this.publish(this.prepare({ errors: [error as GraphQLError] }));
      } catch {
        // The failure could not be told: the followers end without it.
      }
    }
    this.finish();
  }

  private publish(result: ExecutionResult): void {
    this.latest = result;
    for (const member of this.members) member.push(result);
  }

  /** The source ended: so does every subscriber, after what it has not read yet. */
  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.forget();
    for (const member of [...this.members]) member.stop();
  }

  /** The last subscriber left. */
  private close(): void {
    if (this.finished) return;
    this.finish();
    void this.source.return?.();
  }
}

export interface SharedSubscriptions {
  plugin: Plugin<GraphQLContext>;
  /** Sources open now (subscribers of the same subscription count once). */
  sourceCount(): number;
}

/**
 * `prepare` does to each shared result what the plugins after this one would do to each
 * follower's: a follower's subscription stops at this plugin (`setResultAndStopExecution`), so
 * yoga's error masking, which comes after every plugin of ours, does not wrap it. With 10,000
 * followers that wrapping was about a third of the server's CPU per delivery (bench/findings.md).
 * A result is then masked, and an unexpected error logged, once for all its followers.
 */
export function createSharedSubscriptions(prepare: PrepareResult): SharedSubscriptions {
  const byDocument = new WeakMap<DocumentNode, Map<string, SharedSource>>();
  let sources = 0;

  const plugin: Plugin<GraphQLContext> = {
    async onSubscribe({ args, subscribeFn, setSubscribeFn, setResultAndStopExecution }) {
      const sharing = sharingOf(args.schema, args.document, args.operationName);
      const viewer = args.contextValue.viewer;
      if (!sharing || !viewer) return;
      const key = `${viewer.accountId}\n${args.operationName ?? ""}\n${JSON.stringify(args.variableValues ?? {})}`;
      const sharedHere = byDocument.get(args.document) ?? new Map<string, SharedSource>();
      byDocument.set(args.document, sharedHere);
      let shared = sharedHere.get(key);
      if (!shared) {
        let result: Awaited<ReturnType<typeof subscribeFn>>;
        try {
          result = await subscribeFn(args);
        } catch (error) {
          setSubscribeFn(() => Promise.reject(error)); // refused: the plugins after this one mask it as usual
          return;
        }
        if (!isAsyncIterable<ExecutionResult>(result)) {
          setSubscribeFn(() => result); // refused at the start: nothing to share
          return;
        }
        // Another subscriber may have opened the same source while this one subscribed.
        const opened = sharedHere.get(key);
        if (opened) {
          void result[Symbol.asyncIterator]().return?.();
          shared = opened;
        } else {
          sources++;
          const source: SharedSource = new SharedSource(
            result[Symbol.asyncIterator](),
            (each) => prepare(each, args.contextValue),
            () => {
              if (sharedHere.get(key) === source) sharedHere.delete(key);
              sources--;
            },
          );
          sharedHere.set(key, source);
          shared = source;
        }
      }
      setResultAndStopExecution(shared.join(sharing));
    },
  };

  return { plugin, sourceCount: () => sources };
}

function sharingOf(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): Sharing | null {
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== "subscription" || operation.selectionSet.selections.length !== 1) return null;
  const selection = operation.selectionSet.selections[0];
  if (selection.kind !== "Field") return null;
  const field = schema.getSubscriptionType()?.getFields()[selection.name.value];
  const sharing = field?.extensions?.sharing;
  return sharing === "latest" || sharing === "live" ? sharing : null;
}
