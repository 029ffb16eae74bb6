// Isolation, proven over the whole schema: every query, mutation and subscription that takes
// an ID (node and nodes too) is called by a second account with the first account's objects,
// and must answer exactly as for an ID that does not exist: same code, same message, no
// internal row ID in it, nothing changed, nothing streamed. The fields come from the schema,
// so a new one is covered without editing this file; one it cannot call fails the test until
// it is listed in NOT_CALLABLE with a reason.
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  isInterfaceType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
} from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getSchema } from "../src/graphql/schema.ts";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import type { GraphQLClient } from "./helpers/clients.ts";
import { captureTemplate, createActiveServer } from "./helpers/documents.ts";

/** Root fields with an ID argument that this test cannot call, and why. */
const NOT_CALLABLE: Record<string, string> = {};

/** Values that pass validation for arguments named so (the ID is what is under test). */
const GOOD_VALUES: Record<string, unknown> = {
  hostname: "isolation",
  domain: "example.com",
  name: "isolation",
  datacenters: ["fra02"],
  lastLines: 1,
};

const INTERNAL_ID = /\b(srv|img|op|tok|acct|vol|tvol)_[0-9a-z]{6,}/;

interface Target {
  kind: string;
  id: string;
  /** An ID of the same type that exists nowhere. */
  missing: string;
}

type IdFor = (slot: string) => string;

function valueFor(type: GraphQLInputType, name: string, id: IdFor): unknown {
  if (isNonNullType(type)) return valueFor(type.ofType, name, id);
  if (isListType(type)) {
    const item = valueFor(type.ofType, name, id);
    return name in GOOD_VALUES && Array.isArray(GOOD_VALUES[name]) && getNamedType(type).name !== "ID" ? GOOD_VALUES[name] : [item];
  }
  if (name in GOOD_VALUES && !Array.isArray(GOOD_VALUES[name])) return GOOD_VALUES[name];
  if (isInputObjectType(type)) {
    const value: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) {
      if (isNonNullType(field.type) || getNamedType(field.type).name === "ID" || hasId(field.type)) value[field.name] = valueFor(field.type, field.name, id);
    }
    return value;
  }
  if (isEnumType(type)) return type.getValues()[0].value;
  switch (type.name) {
    case "ID":
      return id(name);
    case "String":
      return "isolation";
    case "Int":
    case "ByteCount":
      return 1;
    case "Float":
      return 1;
    case "Boolean":
      return false;
    case "DateTime":
      return new Date(Date.now() + 3_600_000).toISOString();
    default:
      throw new Error(`no value for scalar ${type.name}`);
  }
}

function hasId(type: GraphQLInputType, seen = new Set<string>()): boolean {
  const named = getNamedType(type);
  if (named.name === "ID") return true;
  if (isInputObjectType(named) && !seen.has(named.name)) {
    seen.add(named.name);
    return Object.values(named.getFields()).some((field) => hasId(field.type, seen));
  }
  return false;
}

function selection(type: GraphQLOutputType): string {
  const named = getNamedType(type);
  if (isScalarType(named) || isEnumType(named)) return "";
  if (isUnionType(named) && named.getTypes().some((member) => member.getInterfaces().some((i) => i.name === "Error"))) return "{ __typename ... on Error { code message } }";
  if (isUnionType(named) || isInterfaceType(named)) return "{ __typename }";
  if (isObjectType(named)) return "{ __typename }";
  return "";
}

function documentFor(operation: "query" | "mutation" | "subscription", field: GraphQLField<unknown, unknown>): string {
  const variables = field.args.map((arg) => `$${arg.name}: ${arg.type.toString()}`).join(", ");
  const args = field.args.map((arg) => `${arg.name}: $${arg.name}`).join(", ");
  return `${operation}${variables ? `(${variables})` : ""} { ${field.name}${args ? `(${args})` : ""} ${selection(field.type)} }`;
}

function variablesFor(args: readonly GraphQLArgument[], id: IdFor): Record<string, unknown> {
  return Object.fromEntries(args.filter((arg) => isNonNullType(arg.type) || hasId(arg.type) || arg.name in GOOD_VALUES).map((arg) => [arg.name, valueFor(arg.type, arg.name, id)]));
}

function globalId(type: string, raw: string): string {
  return Buffer.from(`${type}:${raw}`).toString("base64");
}

let t: TestApp;
let stranger: GraphQLClient;
let targets: Target[];
/** An account's public ID (viewer { id }), given out to share with it: not an object to hide, so every call gets this one. */
let publicAccountId: string;

/** Everything of the first account that a call could change. */
async function world() {
  const db = t.app.domain.deps.db;
  return {
    servers: await db.server.findMany({ select: { id: true, status: true, powerState: true, hostname: true }, orderBy: { id: "asc" } }),
    templates: await db.imageTemplate.findMany({ select: { id: true, name: true, note: true, status: true }, orderBy: { id: "asc" } }),
    datacenters: await db.imageTemplateDatacenter.findMany({ orderBy: [{ templateId: "asc" }, { datacenter: "asc" }] }),
    operations: await db.operation.findMany({ select: { id: true, status: true, cancelRequested: true }, orderBy: { id: "asc" } }),
    tokens: await db.apiToken.findMany({ select: { id: true, revokedAt: true }, orderBy: { id: "asc" } }),
    shares: await db.templateShare.findMany({ orderBy: [{ templateId: "asc" }, { accountId: "asc" }] }),
  };
}

beforeAll(async () => {
  t = await startTestApp();
  const owner = t.client;
  const server = await createActiveServer(owner, { hostname: "owner01" });
  const template = await captureTemplate(owner, server.id, "owner01-image");
  const operation = (await owner.query(`{ operations(first: 1) { edges { node { id } } } }`)).operations.edges[0].node.id;
  const token = (await owner.query(`{ viewer { apiTokens { id } } }`)).viewer.apiTokens[0].id;
  targets = [
    { kind: "Server", id: server.id, missing: globalId("Server", "srv_01a2ffffffffffffffffff") },
    { kind: "ImageTemplate", id: template.id, missing: globalId("ImageTemplate", "img_01a2ffffffffffffffffff") },
    { kind: "Operation", id: operation, missing: globalId("Operation", "op_01a2ffffffffffffffffff") },
    { kind: "ApiToken", id: token, missing: globalId("ApiToken", "tok_01a2ffffffffffffffffff") },
    { kind: "ImageUpload", id: (await owner.query(`mutation { createImageUpload(input: {}) { ... on CreateImageUploadPayload { uploadId } } }`)).createImageUpload.uploadId, missing: globalId("ImageUpload", "upl_01a2ffffffffffffffffff") },
  ];
  stranger = await t.newAccount("stranger");
  publicAccountId = (await (await t.newAccount("partner")).query(`{ viewer { id } }`)).viewer.id;
});
afterAll(() => t.stop());

/** The answer, with the IDs sent replaced, so foreign and missing IDs compare equal. */
function normalized(answer: unknown, variant: "id" | "missing"): string {
  let text = JSON.stringify(answer);
  for (const target of targets) text = text.split(target[variant]).join(`<${target.kind}>`);
  return text;
}

describe("another account's objects answer as missing ones, over the whole schema", () => {
  const schema = getSchema();
  const roots = [
    ["query", schema.getQueryType()!],
    ["mutation", schema.getMutationType()!],
    ["subscription", schema.getSubscriptionType()!],
  ] as const;
  const fields = roots.flatMap(([operation, type]) =>
    Object.values(type.getFields())
      .filter((field) => field.args.some((arg) => hasId(arg.type)))
      .map((field) => ({ operation, field })),
  );

  it("finds the fields that take an ID (the schema has them)", () => {
    expect(fields.map(({ field }) => field.name)).toEqual(expect.arrayContaining(["node", "nodes", "deleteServer", "revokeApiToken", "operationProgress", "serverConsole"]));
  });

  for (const { operation, field } of fields) {
    const reason = NOT_CALLABLE[field.name];
    it.skipIf(reason !== undefined)(`${operation} ${field.name}${reason ? ` (not callable: ${reason})` : ""}`, async () => {
      const document = documentFor(operation, field);
      const before = await world();
      let reached = 0;
      for (const target of targets) {
        // A slot named for a type (serverId, imageTemplateId) gets that type's object; id and
        // ids get the target. Foreign calls use the first account's objects, missing ones IDs
        // that exist nowhere.
        const idFor = (variant: "id" | "missing"): IdFor => (slot) => {
          if (slot === "accountId") return publicAccountId;
          const typed = targets.find((other) => slot === `${other.kind.charAt(0).toLowerCase()}${other.kind.slice(1)}Id`);
          return (typed ?? target)[variant];
        };
        const call = async (variant: "id" | "missing") => {
          const variables = variablesFor(field.args, idFor(variant));
          if (operation !== "subscription") {
            const { status, body } = await stranger.raw(document, variables);
            return { status, body };
          }
          // A subscription that streams (or hangs) is stopped at its first event or after 10 s.
          const events: unknown[] = [];
          let streamed!: () => void;
          const first = new Promise<string>((resolve) => (streamed = () => resolve("streamed")));
          const subscription = stranger.sseSubscribe(document, variables, (event) => {
            events.push(event);
            streamed();
          });
          let timer: NodeJS.Timeout | undefined;
          const error = await Promise.race([
            subscription.done.then(() => null, (failure: Error) => failure.message),
            first,
            new Promise<string>((resolve) => (timer = setTimeout(() => resolve("no answer within 10 s"), 10_000))),
          ]);
          clearTimeout(timer);
          subscription.close();
          return { events, error };
        };
        const missing = await call("missing");
        // An ID of a type the field does not take is refused as such, whoever owns it.
        const wrongType = JSON.stringify(missing).includes(`is not the ID of a`);
        const foreign = await call("id");
        const what = `${field.name} with another account's ${target.kind}`;
        expect(normalized(foreign, "id"), what).toBe(normalized(missing, "missing"));
        expect(JSON.stringify(foreign), `${what}: an internal row ID in the answer`).not.toMatch(INTERNAL_ID);
        if (operation === "subscription") {
          expect((foreign as { events: unknown[] }).events, `${what}: streamed`).toEqual([]);
        }
        // Not vacuous: a missing ID of a type the field takes was looked up and not found (or read as null).
        if (!wrongType && /NOT_FOUND|"node":null|"nodes":\[null\]/.test(JSON.stringify(missing))) reached++;
      }
      expect(reached, `${field.name}: no call reached an ID lookup`).toBeGreaterThan(0);
      expect(await world()).toEqual(before);
    });
  }
});
