// Following a server's serial console over a real subscription (serverConsole), and waiting
// for lines on it with a deadline.
import type { GraphQLClient, Subscription } from "./clients.ts";

const SERVER_CONSOLE = `subscription($id: ID!, $lastLines: Int) { serverConsole(id: $id, lastLines: $lastLines) }`;

export interface ConsoleWatch {
  lines: string[];
  /** Resolves with the first line from `index` on that matches, failing after `timeoutMs`. */
  waitFor(pattern: RegExp, what: string, options?: { from?: number; timeoutMs?: number }): Promise<{ line: string; index: number }>;
  close(): void;
}

/** `lastLines` > 0 makes the first event arrive at once, so waitFor(/./) says the subscription is up. */
export function watchConsole(client: GraphQLClient, serverId: string, transport: "ws" | "sse" = "ws", lastLines = 0): ConsoleWatch {
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  const onEvent = (event: { serverConsole: string }) => {
    lines.push(event.serverConsole);
    for (const waiter of waiters) waiter();
  };
  const subscription: Subscription<{ serverConsole: string }> =
    transport === "ws" ? client.wsSubscribe(SERVER_CONSOLE, { id: serverId, lastLines }, onEvent) : client.sseSubscribe(SERVER_CONSOLE, { id: serverId, lastLines }, onEvent);
  let failure: Error | null = null;
  subscription.done.catch((error: Error) => {
    failure = error;
    for (const waiter of waiters) waiter();
  });
  return {
    lines,
    waitFor(pattern, what, { from = 0, timeoutMs = 120_000 } = {}) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const index = lines.findIndex((line, i) => i >= from && pattern.test(line));
          if (index >= 0) finish(() => resolve({ line: lines[index], index }));
          else if (failure) finish(() => reject(failure));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; console so far:\n${lines.slice(-15).join("\n")}`))), timeoutMs);
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      });
    },
    close: () => subscription.close(),
  };
}
