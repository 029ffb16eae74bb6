// Followers of the same operation share one source (graphql/shared-subscriptions.ts): one
// event listener and one execution per change, whatever the number of subscribers; each of
// them still starts with the current state and ends after the terminal one.
import path from "node:path";
import { GraphQLError, GraphQLInt, GraphQLObjectType, GraphQLSchema, type ExecutionResult } from "graphql";
import { createYoga } from "graphql-yoga";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GraphQLContext } from "../src/graphql/builder.ts";
import { getSchema } from "../src/graphql/schema.ts";
import { createSharedSubscriptions } from "../src/graphql/shared-subscriptions.ts";
import { startTestApp, tempDataDir, type TestApp } from "./helpers/app.ts";
import { CAPTURE, createActiveServer, OPERATION_PROGRESS } from "./helpers/documents.ts";
import { FaultyImageStore, Gate } from "./helpers/faults.ts";
import { until } from "./helpers/wait.ts";

let t: TestApp;
const gate = new Gate();

beforeAll(async () => {
  // The store holds the capture at its first chunk write until the subscribers are in.
  const dataDir = tempDataDir();
  t = await startTestApp({ dataDir, ports: { store: new FaultyImageStore(path.join(dataDir, "store"), { pauseAtPut: { nth: 1, gate } }) } });
});
afterAll(async () => {
  gate.release();
  await t.stop();
});

async function gauges(): Promise<{ open: number; sources: number }> {
  const text = await (await fetch(new URL("/metrics", t.url))).text();
  const gauge = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, "m").exec(text)?.[1]);
  return { open: gauge("imprint_open_subscriptions"), sources: gauge("imprint_subscription_sources") };
}

describe("subscribers of the same operation", () => {
  it("share one source, each starting with the current state and ending after the terminal one", async () => {
    const server = await createActiveServer(t.client, { hostname: "shared01" });
    const started = (await t.client.query(CAPTURE, { input: { serverId: server.id, name: "shared01-image" } })).captureImageTemplate;
    await gate.reached;
    const firstEvents: string[] = [];
    const subscribe = (transport: "sse" | "ws") =>
      (transport === "sse" ? t.client.sseSubscribe.bind(t.client) : t.client.wsSubscribe.bind(t.client))(
        OPERATION_PROGRESS,
        { id: started.operation.id },
        (event: any) => void (firstEvents.length < 6 && firstEvents.push(event.operationProgress.status)),
      );
    const followers = [subscribe("sse"), subscribe("ws"), subscribe("sse"), subscribe("ws")];
    await until(async () => (await gauges()).open === 4, "four subscribers open");
    // Another account's subscription to its own operations is its own source.
    const stranger = await t.newAccount("stranger");
    const feed = stranger.sseSubscribe(`subscription { operationEvents { id } }`);
    await until(async () => (await gauges()).open === 5, "the stranger's subscription open");
    expect(await gauges()).toEqual({ open: 5, sources: 2 });
    // A late follower, once the others have their first event, still starts with the current state.
    await until(async () => firstEvents.length >= 4, "every follower's first event");
    const late = subscribe("sse");
    await until(async () => (await gauges()).open === 6, "the late follower open");
    expect((await gauges()).sources).toBe(2);
    // Nothing has changed since it joined (the capture still waits): only the latest state can have come.
    await until(async () => late.events.length > 0, "the late follower's first event, before any change");
    expect(late.events[0].operationProgress.status).toBe("RUNNING");

    gate.release();
    for (const follower of [...followers, late]) {
      const events = (await follower.done).map((event: any) => event.operationProgress.status);
      expect(events[0]).toBe("RUNNING");
      expect(events.at(-1)).toBe("SUCCEEDED");
    }
    feed.close();
    await until(async () => (await gauges()).sources === 0, "every source closed");
  });
});

describe("a shared source", () => {
  it("closes when its subscribers are returned before they were ever read", async () => {
    // yoga's own pipeline with the real schema and this plugin: subscribe, and give up at once,
    // as a transport does when its client goes before the first event.
    const shared = createSharedSubscriptions((result) => result);
    const yoga = createYoga<Record<string, unknown>, GraphQLContext>({ schema: getSchema(), plugins: [shared.plugin], logging: false });
    const { token } = await t.app.domain.accounts.create("returns-at-once");
    const viewer = (await t.app.domain.accounts.authenticate(token))!;
    const { subscribe, parse } = yoga.getEnveloped({});
    const document = parse(`subscription { operationEvents { id } }`);
    const open = async () =>
      (await subscribe({ schema: getSchema(), document, contextValue: { viewer, domain: t.app.domain } })) as AsyncIterableIterator<unknown>;
    const first = await open();
    const second = await open();
    expect(shared.sourceCount()).toBe(1);
    await first.return!();
    expect(shared.sourceCount()).toBe(1);
    await second.return!();
    expect(shared.sourceCount()).toBe(0);
  });
  it("that fails ends each follower with the failure, prepared once, as its last result", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({ name: "Query", fields: { ok: { type: GraphQLInt } } }),
      subscription: new GraphQLObjectType({
        name: "Subscription",
        fields: {
          ticks: {
            type: GraphQLInt,
            extensions: { sharing: "live" },
            async *subscribe() {
              await released;
              yield { ticks: 1 };
              throw new Error("the source broke");
            },
          },
        },
      }),
    });
    let prepared = 0;
    const shared = createSharedSubscriptions((result) => {
      if (!result.errors) return result;
      prepared++;
      return { errors: result.errors.map((error) => new GraphQLError(`prepared: ${error.message}`)) };
    });
    const yoga = createYoga({ schema, plugins: [shared.plugin], logging: false });
    const { subscribe, parse } = yoga.getEnveloped({});
    const document = parse(`subscription { ticks }`);
    const open = async () => (await subscribe({ schema, document, contextValue: { viewer: { accountId: "acct_1" } } })) as AsyncIterableIterator<ExecutionResult>;
    const followers = [await open(), await open()];
    expect(shared.sourceCount()).toBe(1);
    release();
    for (const follower of followers) {
      expect((await follower.next()).value).toEqual({ data: { ticks: 1 } });
      const last = await follower.next();
      expect(last.value?.errors?.map((error: GraphQLError) => error.message)).toEqual(["prepared: the source broke"]);
      expect((await follower.next()).done).toBe(true);
    }
    expect(prepared).toBe(1);
    expect(shared.sourceCount()).toBe(0);
  });
});
