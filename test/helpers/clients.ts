// Real clients: fetch for queries and mutations, graphql-sse and graphql-ws for subscriptions.
import { createClient as createSseClient } from "graphql-sse";
import { createClient as createWsClient } from "graphql-ws";
import WebSocket from "ws";

export interface GraphQLResponse<T = any> {
  data?: T;
  errors?: Array<{ message: string; extensions?: Record<string, any> }>;
}

export class GraphQLClient {
  readonly url: string;
  readonly token: string | null;
  constructor(
    url: string,
    token: string | null,
  ) {
    this.url = url;
    this.token = token;
  }

  private headers(): Record<string, string> {
    return {
      "content-type": "application/json",
      accept: "application/graphql-response+json, application/json",
      ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
    };
  }

  async raw<T = any>(query: string, variables: Record<string, unknown> = {}): Promise<{ status: number; body: GraphQLResponse<T> }> {
    const response = await fetch(this.url, { method: "POST", headers: this.headers(), body: JSON.stringify({ query, variables }) });
    return { status: response.status, body: (await response.json()) as GraphQLResponse<T> };
  }

  /** Runs a query or mutation and fails on any top-level error. */
  async query<T = any>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const { body } = await this.raw<T>(query, variables);
    if (body.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
    return body.data as T;
  }

  /** Collects every event of a subscription over Server-Sent Events until it completes. */
  sseSubscribe<T = any>(query: string, variables: Record<string, unknown> = {}, onEvent?: (event: T) => void): Subscription<T> {
    const client = createSseClient({ url: this.url, retryAttempts: 0, headers: this.token ? { authorization: `Bearer ${this.token}` } : {} });
    return collect<T>((sink) => client.subscribe({ query, variables }, sink), onEvent, () => client.dispose());
  }

  /** Collects every event of a subscription over WebSocket (graphql-ws) until it completes. */
  wsSubscribe<T = any>(query: string, variables: Record<string, unknown> = {}, onEvent?: (event: T) => void): Subscription<T> {
    const client = wsClient(this.url, this.token);
    return collect<T>((sink) => client.subscribe({ query, variables }, sink), onEvent, () => client.dispose());
  }
}

export function wsClient(url: string, token: string | null, extra: { onClose?: (code: number) => void } = {}) {
  return createWsClient({
    url: url.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    on: { closed: (event) => extra.onClose?.((event as { code: number }).code) },
  });
}

export interface Subscription<T> {
  events: T[];
  /** Resolves with every event once the server completes the subscription. */
  done: Promise<T[]>;
  close(): void;
}

type Sink = { next: (value: any) => void; error: (error: unknown) => void; complete: () => void };

function collect<T>(start: (sink: Sink) => () => void, onEvent: ((event: T) => void) | undefined, dispose: () => void): Subscription<T> {
  const events: T[] = [];
  let unsubscribe: () => void = () => undefined;
  const done = new Promise<T[]>((resolve, reject) => {
    unsubscribe = start({
      next: (value: GraphQLResponse<T>) => {
        if (value.errors?.length) {
          reject(new Error(`subscription errors: ${JSON.stringify(value.errors)}`));
          return;
        }
        events.push(value.data as T);
        onEvent?.(value.data as T);
      },
      error: (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
      complete: () => resolve(events),
    });
  }).finally(() => dispose());
  return { events, done, close: () => unsubscribe() };
}
