// GraphQL documents the tests share.
import type { GraphQLClient } from "./clients.ts";

export const OPERATION_FIELDS = `
  id kind status step progress bytesDone bytesTotal throughput etaSeconds cancelRequested
  error { code message }
  server { id status powerState }
`;

export const ERROR_FIELDS = `
  __typename
  ... on Error { message code }
  ... on ValidationError { fields { field message } }
  ... on ConflictError { state }
  ... on NotFoundError { field }
`;

export const CREATE_SERVER = `
  mutation Create($input: CreateServerInput!) {
    createServer(input: $input) {
      __typename
      ... on CreateServerPayload {
        server { id fqdn status powerState datacenter network { privateIpv4 publicIpv4 macAddress } volumes { index role capacityGb capacityBytes } }
        operation { ${OPERATION_FIELDS} }
      }
      ${ERROR_FIELDS}
    }
  }
`;

export const OPERATION_PROGRESS = `
  subscription Follow($id: ID!) {
    operationProgress(id: $id) { ${OPERATION_FIELDS} }
  }
`;

export const CAPTURE = `
  mutation($input: CaptureImageTemplateInput!) {
    captureImageTemplate(input: $input) {
      __typename
      ... on CaptureImageTemplatePayload {
        imageTemplate { id globalIdentifier name kind status datacenters }
        operation { id kind status }
      }
      ... on IncompatibleServerError { serverKind compatibleTemplateKind compatibleOperatingSystems }
      ${ERROR_FIELDS}
    }
  }
`;

export const TEMPLATE = `
  query($id: ID!) {
    node(id: $id) {
      ... on ImageTemplate {
        id globalIdentifier name note kind status datacenters sizeBytes storedBytes createdAt
        sourceServer { id fqdn }
        configuration { kind os cpu memoryMb datacenter volumes { index role capacityGb captured } }
        volumes { index role capacityGb sizeBytes storedBytes digest }
        captureOperation { id status }
      }
    }
  }
`;

export function serverInput(overrides: Record<string, unknown> = {}) {
  return {
    kind: "VIRTUAL",
    hostname: `host${Math.random().toString(36).slice(2, 8)}`,
    domain: "example.com",
    datacenter: "dal10",
    cpu: 2,
    memoryMb: 4096,
    os: "UBUNTU_24_04_64",
    // Small volumes: the tests copy and compare them.
    volumes: [
      { role: "BOOT", capacityGb: 4 },
      { role: "DATA", capacityGb: 1 },
    ],
    ...overrides,
  };
}

export async function createServer(client: GraphQLClient, overrides: Record<string, unknown> = {}) {
  const data = await client.query(CREATE_SERVER, { input: serverInput(overrides) });
  const result = data.createServer;
  if (result.__typename !== "CreateServerPayload") throw new Error(`createServer failed: ${JSON.stringify(result)}`);
  return result as { server: any; operation: any };
}

/** Follows an operation over SSE until its terminal state and returns the last event. */
export async function waitForOperation(client: GraphQLClient, operationId: string) {
  const events = await client.sseSubscribe(OPERATION_PROGRESS, { id: operationId }).done;
  return events.at(-1)!.operationProgress;
}

export async function createActiveServer(client: GraphQLClient, overrides: Record<string, unknown> = {}) {
  const { server, operation } = await createServer(client, overrides);
  const final = await waitForOperation(client, operation.id);
  if (final.status !== "SUCCEEDED") throw new Error(`provision ended ${final.status}: ${JSON.stringify(final.error)}`);
  return server;
}

export const DEPLOY = `
  mutation($input: DeployImageTemplateInput!) {
    deployImageTemplate(input: $input) {
      __typename
      ... on DeployImageTemplatePayload {
        server { id kind fqdn status datacenter network { privateIpv4 publicIpv4 macAddress } volumes { index role capacityGb } }
        operation { id kind status }
      }
      ... on IncompatibleServerError { serverKind compatibleTemplateKind compatibleOperatingSystems }
      ${ERROR_FIELDS}
    }
  }
`;

/** Captures a server (as a STANDARD template unless `kind` says otherwise) and waits for the template to be ACTIVE. */
export async function captureTemplate(client: GraphQLClient, serverId: string, name: string, kind?: "STANDARD" | "FLEX") {
  const result = (await client.query(CAPTURE, { input: { serverId, name, ...(kind ? { kind } : {}) } })).captureImageTemplate;
  if (result.__typename !== "CaptureImageTemplatePayload") throw new Error(`capture failed: ${JSON.stringify(result)}`);
  const final = await waitForOperation(client, result.operation.id);
  if (final.status !== "SUCCEEDED") throw new Error(`capture ended ${final.status}: ${JSON.stringify(final.error)}`);
  return result.imageTemplate as { id: string; globalIdentifier: string; name: string };
}
