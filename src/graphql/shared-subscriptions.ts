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
import { getOperationAST, type DocumentNode, type ExecutionResult, type GraphQLSchema } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import { SUBSCRIBER_BUFFER } from "../domain/operations/index.js";
import type { GraphQLContext } from "./builder.js";
import { SubscriberQueue } from "./subscriber-queue.js";

export type Sharing = "latest" | "live";

class SharedSource {
  /** Every subscriber handed out and not gone, started or not: the last one to go closes the source. */
  private readonly members = new Set<SubscriberQueue>();
  private latest: ExecutionResult | null = null;
  private finished = false;
  /** Why the source failed, for a subscriber that starts after it did. */
  private failure: unknown = undefined;

  constructor(
    private readonly source: AsyncIterator<ExecutionResult>,
    private readonly forget: () => void,
  ) {
    void this.pump();
  }

  join(sharing: Sharing): AsyncIterableIterator<ExecutionResult> {
    const subscriber: SubscriberQueue = new SubscriberQueue(SUBSCRIBER_BUFFER, () => {
      if (this.members.delete(subscriber) && this.members.size === 0) this.close();
    });
    this.members.add(subscriber);
    if (sharing === "latest" && this.latest) subscriber.push(this.latest);
    if (this.finished) subscriber.stop(this.failure);
    return subscriber;
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        const next = await this.source.next();
        if (next.done) break;
        this.latest = next.value;
        for (const member of this.members) member.push(next.value);
      }
      this.finish();
    } catch (error) {
      this.finish(error);
    }
  }

  /** The source ended (or failed): so does every subscriber, after what it has not read yet. */
  private finish(error?: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.failure = error;
    this.forget();
    for (const member of [...this.members]) member.stop(error);
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

export function createSharedSubscriptions(): SharedSubscriptions {
  const byDocument = new WeakMap<DocumentNode, Map<string, SharedSource>>();
  let sources = 0;

  const plugin: Plugin<GraphQLContext> = {
    onSubscribe({ args, subscribeFn, setSubscribeFn }) {
      const sharing = sharingOf(args.schema, args.document, args.operationName);
      const viewer = args.contextValue.viewer;
      if (!sharing || !viewer) return;
      const key = `${viewer.accountId}\n${args.operationName ?? ""}\n${JSON.stringify(args.variableValues ?? {})}`;
      setSubscribeFn(async (subscribeArgs) => {
        const sharedHere = byDocument.get(args.document) ?? new Map<string, SharedSource>();
        byDocument.set(args.document, sharedHere);
        let shared = sharedHere.get(key);
        if (!shared) {
          const result = await subscribeFn(subscribeArgs);
          if (!isAsyncIterable<ExecutionResult>(result)) return result; // refused at the start: nothing to share
          // Another subscriber may have opened the same source while this one subscribed.
          const opened = sharedHere.get(key);
          if (opened) {
            void result[Symbol.asyncIterator]().return?.();
            return opened.join(sharing);
          }
          sources++;
          shared = new SharedSource(result[Symbol.asyncIterator](), () => {
            if (sharedHere.get(key) === shared) sharedHere.delete(key);
            sources--;
          });
          sharedHere.set(key, shared);
        }
        return shared.join(sharing);
      });
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
