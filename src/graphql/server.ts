// One port, three transports: GraphQL over HTTP (POST and GET), subscriptions over
// Server-Sent Events (built into yoga) and over WebSocket (graphql-ws), plus GraphiQL
// with its assets inlined so it works without internet.
import { createServer, type Server as HttpServer } from "node:http";
import { withExportDownloads } from "../http/export-download.ts";
import { withUploads } from "../http/uploads.ts";
import { GraphQLError, type ExecutionArgs } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { createLogger, createYoga, type YogaLogger, type YogaServerInstance } from "graphql-yoga";
import { WebSocketServer } from "ws";
import type { Config } from "../config.ts";
import type { Domain } from "../domain/index.ts";
import { bearerToken, tokenFromConnectionParams, unauthenticated } from "./auth.ts";
import type { GraphQLContext } from "./builder.ts";
import { withBodyLimit } from "./body-limit.ts";
import { domainErrorIn, createMaskError, markRequest, maskResult, UNEXPECTED_ERROR_MESSAGE, useRequestIdOnErrors } from "./error-masking.ts";
import { useJsonPostsOnly, useNoIntrospection } from "./browser-safety.ts";
import { withGraphiQLPage } from "./graphiql-page.ts";
import { queryLimitPlugins } from "./query-limits.ts";
import type { Redis } from "ioredis";
import { TokenRateLimit } from "./rate-limit.ts";
import { getSchema } from "./schema.ts";
import { createTokenWatch } from "./token-watch.ts";
import { withOperatorEndpoints, type OperatorEndpoints } from "../ops/endpoints.ts";
import { withRequestLog } from "../ops/request-log.ts";
import type { Metrics } from "../ops/metrics.ts";
import { useRequestFacts } from "./request-facts.ts";
import { useJitForQueries } from "./jit.ts";
import { createSharedSubscriptions } from "./shared-subscriptions.ts";
import { useSseStreams } from "./sse-streams.ts";

export const GRAPHQL_PATH = "/graphql";

const WELCOME_QUERY = `# imprint: capture servers into image templates, deploy servers from them.
# The demo token is already in the Headers tab below.

query MyServers {
  viewer { name }
  servers(first: 10) {
    totalCount
    edges {
      node {
        id fqdn kind status powerState datacenter os
        network { privateIpv4 publicIpv4 }
        volumes { index role capacityGb }
        latestOperation { kind status step progress }
      }
    }
  }
}
`;

type WsContextExtra = {
  /** The connection's bearer token, authenticated again for every subscription it starts. */
  token?: string | null;
};

export interface GraphQLServer {
  http: HttpServer;
  /** Subscriptions open now, SSE and WebSocket. */
  openSubscriptions(): number;
  /** Their sources: subscribers of the same subscription share one. */
  subscriptionSources(): number;
  yoga: YogaServerInstance<Record<string, unknown>, GraphQLContext>;
  /** Ends every open subscription with a RESUBSCRIBE error: this server is going away. */
  endSubscriptions(): void;
  close(): Promise<void>;
}

/**
 * yoga logs every error it masks or rewrites; a domain error (a bad cursor, an unknown
 * operation) is an answer to the client, not a fault of the server, so it is not logged.
 */
function yogaLogger(config: Config): YogaLogger {
  const base = createLogger(config.env === "test" ? "error" : "info");
  return {
    ...base,
    error: (...args: unknown[]) => {
      if (args.length === 1 && domainErrorIn(args[0])) return;
      base.error(...args);
    },
  };
}

export function createGraphQLServer(
  config: Config,
  domain: Domain,
  options: { graphiqlToken?: string; operator?: OperatorEndpoints; metrics?: Metrics; redis?: Redis | null } = {},
): GraphQLServer {
  const rateLimit = new TokenRateLimit(config.limits.ratePerMinute, options.redis ?? null);
  const tokenWatch = createTokenWatch(domain.deps.events, domain.deps.clock);
  const maskError = createMaskError(domain.deps.log, config.exposure.debugErrors);
  const shared = createSharedSubscriptions((result, context) => maskResult(maskError, result, context));
  const yoga = createYoga<Record<string, unknown>, GraphQLContext>({
    schema: getSchema(),
    plugins: [
      useJsonPostsOnly(),
      ...(config.exposure.introspection ? [] : [useNoIntrospection()]),
      ...queryLimitPlugins(config.limits),
      tokenWatch.plugin,
      shared.plugin,
      useSseStreams(config.ssePingMs),
      useRequestFacts(),
      useRequestIdOnErrors(),
      useJitForQueries(domain.deps.log),
    ],
    // No origin is trusted unless configured: yoga's default reflects any Origin.
    cors: config.exposure.corsOrigins.length > 0 ? { origin: config.exposure.corsOrigins, credentials: true, methods: ["GET", "POST"] } : false,
    graphqlEndpoint: GRAPHQL_PATH,
    // withBodyLimit bounds every body before yoga sees it: Node reads exactly Content-Length
    // bytes, and a body without one is refused. Yoga's own limit would pipe each body through
    // a TransformStream (3% of the read path's CPU) to count bytes already counted.
    maxRequestBodySize: false,
    landingPage: false,
    logging: yogaLogger(config),
    maskedErrors: { maskError, errorMessage: UNEXPECTED_ERROR_MESSAGE, isDev: false },
    // GraphiQL is served by withGraphiQLPage (compressed, cacheable, the token for loopback only).
    graphiql: false,
    context: async (initial): Promise<GraphQLContext> => {
      // The one authentication path: every HTTP request, SSE stream and WebSocket subscription
      // (whose token comes from the connection) is checked against the token's current state.
      try {
        const secret = "token" in initial ? (initial.token as string | null) : bearerToken((initial.request as Request | undefined)?.headers.get("authorization"));
        const viewer = await domain.accounts.authenticate(secret);
        if (!viewer) throw unauthenticated();
        await rateLimit.take(viewer);
        return { viewer, domain };
      } catch (error) {
        markRequest(error, initial);
        throw error;
      }
    },
  });

  const yogaHandler = withBodyLimit(config.limits.maxBodyBytes, yoga);
  const graphqlHandler = config.exposure.graphiql
    ? withGraphiQLPage(GRAPHQL_PATH, { title: "imprint", defaultQuery: WELCOME_QUERY, loopbackToken: options.graphiqlToken }, yogaHandler)
    : yogaHandler;
  const userHandler = withUploads(domain, withExportDownloads(domain, graphqlHandler));
  const http = createServer(
    withRequestLog(domain.deps.log, options.operator ? withOperatorEndpoints(options.operator, userHandler) : userHandler, (facts, status, seconds) =>
      options.metrics?.request(facts.rootFields ?? "none", facts.outcome ?? (status < 400 ? "ok" : `http ${status}`), seconds),
      config.trustedProxies,
    ),
  );
  // Node closes an idle keep-alive socket after 5 s, counted from when a response was handed
  // to the kernel, not from when the client read it: a slow client of a large body (the 2.4 MB
  // GraphiQL page) lost its tail. 65 s, as load balancers expect of their backends.
  http.keepAliveTimeout = 65_000;
  http.headersTimeout = 66_000;

  // noServer: attached to the HTTP server, ws would re-emit its errors (EADDRINUSE), which
  // graphql-ws reports as "Internal error emitted on the WebSocket server" with a stack.
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.limits.maxBodyBytes });
  http.on("upgrade", (request, socket, head) => {
    if (new URL(request.url ?? "/", "http://localhost").pathname !== GRAPHQL_PATH) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request));
  });
  const wsServer = useServer<Record<string, unknown> | undefined, WsContextExtra>(
    {
      // Under load (thousands of sockets opening at once) the default 3 s is too short.
      connectionInitWaitTimeout: 15_000,
      execute: (args) => (args.rootValue as { execute: (a: ExecutionArgs) => unknown }).execute(args) as never,
      subscribe: (args) => (args.rootValue as { subscribe: (a: ExecutionArgs) => unknown }).subscribe(args) as never,
      onConnect: async (ctx) => {
        const token = tokenFromConnectionParams(ctx.connectionParams) ?? bearerToken(ctx.extra.request.headers.authorization);
        const viewer = await domain.accounts.authenticate(token);
        if (!viewer) return false; // graphql-ws closes with 4403 Forbidden
        (ctx.extra as WsContextExtra).token = token;
        return true;
      },
      onSubscribe: async (ctx, _id, payload) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
          token: (ctx.extra as WsContextExtra).token ?? null,
        });
        let document;
        let contextValue;
        try {
          document = parse(payload.query);
          const errors = validate(schema, document);
          if (errors.length > 0) return errors;
          contextValue = await contextFactory();
        } catch (error) {
          if (error instanceof GraphQLError) return [error]; // over a query limit or the rate limit
          throw error;
        }
        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue,
          rootValue: { execute, subscribe },
        };
      },
    },
    wss,
  );

  return {
    http,
    yoga,
    openSubscriptions: () => tokenWatch.openCount(),
    subscriptionSources: () => shared.sourceCount(),
    endSubscriptions() {
      tokenWatch.endAll("this server is shutting down; subscribe again (another instance answers)", "RESUBSCRIBE");
    },
    async close() {
      tokenWatch.close();
      await wsServer.dispose();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
