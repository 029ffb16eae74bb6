// The subscription benchmark's clients: 10,000 of them run in one process on the same two
// cores as the server, so what each costs shows in the delays it measures. graphql-sse's
// client reads each stream through fetch and WHATWG streams, and graphql-ws's keeps its own
// state machine per socket; these speak the same protocols with less: an HTTP request whose
// body is read as an event stream, and a WebSocket that says graphql-transport-ws's three
// messages. The tests use the libraries' clients (test/helpers/clients.ts).
import { request } from "node:http";
import WebSocket from "ws";

export interface Subscriber {
  /** Each result of the subscription (`event: next` / `next`). */
  next(result: unknown): void;
  /** The subscription could not start, or it failed. */
  error(reason: string): void;
  /** The subscription ended. */
  complete(): void;
}

export interface Subscription {
  query: string;
  variables: Record<string, unknown>;
}

/** A subscription over Server-Sent Events on a connection of its own; returns how to close it. */
export function subscribeOverSse(url: string, token: string, subscription: Subscription, subscriber: Subscriber): () => void {
  const body = JSON.stringify(subscription);
  const outgoing = request(url, {
    method: "POST",
    agent: false,
    headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${token}`, "content-length": Buffer.byteLength(body) },
  });
  outgoing.on("response", (response) => {
    if (response.statusCode !== 200) {
      subscriber.error(`HTTP ${response.statusCode}`);
      response.resume();
      return;
    }
    response.setEncoding("utf8");
    let pending = "";
    response.on("data", (text: string) => {
      pending += text;
      for (let end = pending.indexOf("\n\n"); end >= 0; end = pending.indexOf("\n\n")) {
        const frame = pending.slice(0, end);
        pending = pending.slice(end + 2);
        if (frame.startsWith("event: next\ndata: ")) subscriber.next(JSON.parse(frame.slice("event: next\ndata: ".length)));
        else if (frame.startsWith("event: complete")) subscriber.complete();
      }
    });
    response.on("end", () => subscriber.complete());
  });
  outgoing.on("error", (error) => subscriber.error(error.message));
  outgoing.end(body);
  return () => outgoing.destroy();
}

/** A subscription over a WebSocket of its own (graphql-transport-ws); returns how to close it. */
export function subscribeOverWebSocket(url: string, token: string, subscription: Subscription, subscriber: Subscriber): () => void {
  const socket = new WebSocket(url.replace(/^http/, "ws"), "graphql-transport-ws");
  socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${token}` } })));
  socket.on("message", (data) => {
    const message = JSON.parse(String(data)) as { type: string; payload?: unknown };
    if (message.type === "next") subscriber.next(message.payload);
    else if (message.type === "connection_ack") socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: subscription }));
    else if (message.type === "ping") socket.send(JSON.stringify({ type: "pong" }));
    else if (message.type === "error") subscriber.error(JSON.stringify(message.payload));
    else if (message.type === "complete") subscriber.complete();
  });
  socket.on("close", (code, reason) => (code === 1000 ? subscriber.complete() : subscriber.error(`closed ${code} ${String(reason)}`)));
  socket.on("error", (error) => subscriber.error(error.message));
  return () => socket.close(1000);
}
