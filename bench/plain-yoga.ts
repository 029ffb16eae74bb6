// The second read-path baseline (issue 13): a plain graphql-yoga server with a static schema
// and no plugins, answering PAGE_QUERY with the same SQL as the floor through better-sqlite3,
// batched with dataloader as imprint batches. What GraphQL itself costs on this machine.
import DataLoader from "dataloader";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createSchema, createYoga } from "graphql-yoga";
import { GraphQLError } from "graphql";
import { PageSql, serverGlobalId, type OperationRow, type ServerRow, type TemplateRow, type VolumeRow } from "./page-sql.ts";

const typeDefs = /* GraphQL */ `
  enum ServerStatus { ACTIVE CAPTURING DELETING FAILED PROVISIONING RELOADING }
  enum PowerState { HALTED RUNNING }
  enum VolumeRole { BOOT DATA }
  type Volume { index: Int! role: VolumeRole! capacityGb: Int! }
  type ImageTemplate { name: String! }
  type Operation { kind: String! status: String! }
  type Server {
    id: ID! hostname: String! fqdn: String! status: ServerStatus! powerState: PowerState! datacenter: String!
    volumes: [Volume!]! sourceImageTemplate: ImageTemplate latestOperation: Operation
  }
  type ServerEdge { node: Server! }
  type ServerConnection { edges: [ServerEdge!]! }
  type Query { servers(first: Int!): ServerConnection! }
`;

interface Context {
  accountId: string;
  volumes: DataLoader<string, VolumeRow[]>;
  templates: DataLoader<string, TemplateRow | null>;
  latestOperations: DataLoader<string, OperationRow | null>;
}

export function startPlainYoga(databaseUrl: string): Promise<{ url: string; close: () => void }> {
  const sql = new PageSql(databaseUrl);
  const schema = createSchema<Context>({
    typeDefs,
    resolvers: {
      Query: {
        servers: (_root: unknown, args: { first: number }, ctx: Context) => ({ edges: sql.servers(ctx.accountId, args.first).map((node) => ({ node })) }),
      },
      Server: {
        id: (s: ServerRow) => serverGlobalId(s.id),
        volumes: (s: ServerRow, _args: unknown, ctx: Context) => ctx.volumes.load(s.id),
        sourceImageTemplate: (s: ServerRow, _args: unknown, ctx: Context) => (s.sourceImageTemplateId ? ctx.templates.load(s.sourceImageTemplateId) : null),
        latestOperation: (s: ServerRow, _args: unknown, ctx: Context) => ctx.latestOperations.load(s.id),
      },
    },
  });
  const yoga = createYoga({
    schema,
    logging: false,
    context: ({ request }) => {
      const accountId = sql.accountOf(request.headers.get("authorization"));
      if (!accountId) throw new GraphQLError("unauthenticated", { extensions: { http: { status: 401 } } });
      return {
        accountId,
        volumes: new DataLoader(async (ids: readonly string[]) => {
          const rows = sql.volumes(ids);
          return ids.map((id) => rows.filter((v) => v.serverId === id));
        }),
        templates: new DataLoader(async (ids: readonly string[]) => {
          const rows = sql.templates(ids);
          return ids.map((id) => rows.find((t) => t.id === id) ?? null);
        }),
        latestOperations: new DataLoader(async (ids: readonly string[]) => {
          const rows = sql.latestOperations(ids);
          return ids.map((id) => rows.find((o) => o.serverId === id) ?? null);
        }),
      };
    },
  });
  const server = createServer(yoga);
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, close: () => { server.close(); sql.close(); } }),
    ),
  );
}
