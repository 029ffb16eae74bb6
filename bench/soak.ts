// npm run soak: 50 clients for 5 minutes against a real imprint process on loopback —
// queries, creates, captures, deploys, reloads, verifies, power changes, cancels, deletes,
// and requests over the limits — then a graceful stop, a restart on the same data, and the
// invariant checker of the fault tests. Prints what was sent, what succeeded, what was
// refused and why; exits 1 on an unexpected error or a broken invariant.
//
// SOAK_SECONDS (300), SOAK_CLIENTS (50), SOAK_ACCOUNTS (10) change the load.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createApp } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { checkInvariants } from "../test/helpers/invariants.ts";

const SECONDS = Number(process.env.SOAK_SECONDS ?? 300);
const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 50);
const ACCOUNTS = Number(process.env.SOAK_ACCOUNTS ?? 10);

const env = {
  NODE_ENV: "test",
  PORT: "0",
  HOST: "127.0.0.1",
  IMPRINT_SEED_DEMO: "false",
  IMPRINT_OS_IMAGE_MB: "16",
  IMPRINT_QUOTA_SERVERS: "12",
  IMPRINT_QUOTA_TEMPLATES: "8",
  IMPRINT_QUOTA_CONCURRENT_OPERATIONS: "10",
};

const ERROR_FIELDS = `__typename ... on Error { code message } ... on ConflictError { state }`;

interface Tally {
  sent: number;
  ok: number;
  refused: Map<string, number>;
  unexpected: string[];
}
const tallies = new Map<string, Tally>();
function tally(action: string): Tally {
  let t = tallies.get(action);
  if (!t) tallies.set(action, (t = { sent: 0, ok: 0, refused: new Map(), unexpected: [] }));
  return t;
}
const refuse = (t: Tally, why: string) => t.refused.set(why, (t.refused.get(why) ?? 0) + 1);

const pick = (items: any[]): any => items[Math.floor(Math.random() * items.length)];
const id = () => Math.random().toString(36).slice(2, 8);

async function post(url: string, token: string, body: string): Promise<{ status: number; json: any }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json", authorization: `Bearer ${token}` },
    body,
  });
  const text = await response.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = { raw: text.slice(0, 200) };
  }
  return { status: response.status, json };
}

/** Sends one GraphQL request and sorts its answer into ok, refused (with why) or unexpected. */
async function send(action: string, url: string, token: string, query: string, variables: Record<string, unknown> = {}, field?: string) {
  const t = tally(action);
  t.sent++;
  let answer;
  try {
    answer = await post(url, token, JSON.stringify({ query, variables }));
  } catch (error) {
    t.unexpected.push(`${action}: ${(error as Error).message}`);
    return null;
  }
  const { status, json } = answer;
  const error = json?.errors?.[0];
  if (error) {
    const code = error.extensions?.code ?? `HTTP ${status}`;
    if (code === "INTERNAL_SERVER_ERROR" || (status >= 500 && status !== 503)) t.unexpected.push(`${action}: ${status} ${error.message}`);
    else refuse(t, `${code} (${status})`);
    return null;
  }
  const result = field ? json?.data?.[field] : json?.data;
  if (field && result?.__typename && !result.__typename.endsWith("Payload")) {
    const quota = /^quota (\w+) exceeded/.exec(result.message ?? "")?.[1];
    refuse(t, result.__typename === "ConflictError" ? `ConflictError ${result.state}` : quota ? `QuotaExceededError ${quota}` : result.__typename);
    return null;
  }
  t.ok++;
  return result;
}

async function client(url: string, token: string, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const roll = Math.random();
    const world = await send(
      "query: servers, templates, operations",
      url,
      token,
      `{ servers(first: 50) { edges { node { id status powerState latestOperation { status } volumes { index } } } }
         imageTemplates(first: 50) { edges { node { id status } } }
         operations(first: 20, filter: { status: [QUEUED, RUNNING] }) { edges { node { id } } } }`,
    );
    if (!world) continue;
    const servers: any[] = world.servers.edges.map((e: any) => e.node);
    const active = servers.filter((s: any) => s.status === "ACTIVE");
    const templates: any[] = world.imageTemplates.edges.map((e: any) => e.node);
    const deployable = templates.filter((t: any) => t.status === "ACTIVE");
    const live: any[] = world.operations.edges.map((e: any) => e.node);

    const running = servers.filter((s) => s.status !== "ACTIVE" && s.status !== "FAILED").length;
    // Each range of `roll` is one action, tried only when it makes sense (no fall-through).
    const is = (from: number, to: number) => roll >= from && roll < to;
    if (is(0, 0.1) && servers.length < 8) {
      await send("createServer", url, token, `mutation($i: CreateServerInput!) { createServer(input: $i) { ${ERROR_FIELDS} } }`, {
        i: { hostname: `s${id()}`, domain: "soak.example.com", datacenter: "dal10", cpu: 1, memoryMb: 2048, os: "DEBIAN_12_64", volumes: [{ role: "BOOT", capacityGb: 2 }] },
      }, "createServer");
    } else if (is(0.1, 0.25) && active.length) {
      await send("captureImageTemplate", url, token, `mutation($i: CaptureImageTemplateInput!) { captureImageTemplate(input: $i) { ${ERROR_FIELDS} } }`, {
        i: { serverId: pick(active).id, name: `t${id()}` },
      }, "captureImageTemplate");
    } else if (is(0.25, 0.4) && deployable.length) {
      await send("deployImageTemplate", url, token, `mutation($i: DeployImageTemplateInput!) { deployImageTemplate(input: $i) { ${ERROR_FIELDS} } }`, {
        i: { imageTemplateId: pick(deployable).id, hostname: `d${id()}`, domain: "soak.example.com" },
      }, "deployImageTemplate");
    } else if (is(0.4, 0.46) && active.length && deployable.length) {
      await send("reloadServer", url, token, `mutation($i: ReloadServerInput!) { reloadServer(input: $i) { ${ERROR_FIELDS} } }`, {
        i: { serverId: pick(active).id, imageTemplateId: pick(deployable).id },
      }, "reloadServer");
    } else if (is(0.46, 0.5) && templates.length) {
      await send("verifyImageTemplate", url, token, `mutation($id: ID!) { verifyImageTemplate(input: { id: $id }) { ${ERROR_FIELDS} } }`, { id: pick(templates).id }, "verifyImageTemplate");
    } else if (is(0.5, 0.56) && active.length) {
      const server = pick(active);
      const field = server.powerState === "RUNNING" ? "powerOffServer" : "powerOnServer";
      await send(field, url, token, `mutation($id: ID!) { ${field}(input: { id: $id }) { ${ERROR_FIELDS} } }`, { id: server.id }, field);
    } else if (is(0.56, 0.58) && live.length) {
      await send("cancelOperation", url, token, `mutation($id: ID!) { cancelOperation(input: { id: $id }) { ${ERROR_FIELDS} } }`, { id: pick(live).id }, "cancelOperation");
    } else if (is(0.58, 0.62) && servers.length - running > 6) {
      await send("deleteServer", url, token, `mutation($id: ID!) { deleteServer(input: { id: $id }) { ${ERROR_FIELDS} } }`, { id: pick(servers).id }, "deleteServer");
    } else if (is(0.62, 0.65) && templates.length > 4) {
      await send("deleteImageTemplate", url, token, `mutation($id: ID!) { deleteImageTemplate(input: { id: $id }) { ${ERROR_FIELDS} } }`, { id: pick(templates).id }, "deleteImageTemplate");
    } else if (is(0.75, 0.78)) {
      let inner = "id";
      for (let i = 0; i < 15; i++) inner = `imageTemplates { edges { node { sourceServer { ${inner} } } } }`;
      await send("over the limits: nested 15 deep", url, token, `{ ${inner} }`);
    } else if (is(0.78, 0.8) && servers.length) {
      await send("over the limits: 101 nodes", url, token, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: Array(101).fill(servers[0].id) });
    } else if (is(0.8, 0.81)) {
      const t = tally("over the limits: 2 MiB body");
      t.sent++;
      const { status } = await post(url, token, JSON.stringify({ query: "{ viewer { name } }", variables: { pad: "x".repeat(2 * 1024 * 1024) } }));
      if (status === 413) refuse(t, "413");
      else t.unexpected.push(`2 MiB body answered ${status}`);
    }
    // A person or a script thinks between requests (about 100 ms).
    await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
  }
}

async function waitForQuietOperations(url: string, tokens: string[]): Promise<void> {
  for (const token of tokens) {
    for (let tries = 0; tries < 600; tries++) {
      const { json } = await post(url, token, JSON.stringify({ query: `{ operations(first: 1, filter: { status: [QUEUED, RUNNING] }) { totalCount } }` }));
      if (json?.data?.operations.totalCount === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "imprint-soak-"));
  const config = loadConfig({ ...env, IMPRINT_DATA_DIR: dataDir });
  // Accounts made before the server process starts, in the same database.
  const setup = await createApp(config);
  const tokens: string[] = [];
  for (let i = 0; i < ACCOUNTS; i++) tokens.push((await setup.domain.accounts.create(`soak-${i}`)).token);
  await setup.stop();

  const child = spawn(process.execPath, ["src/main.ts"], { env: { ...process.env, ...env, IMPRINT_DATA_DIR: dataDir }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", () => {
      const match = /listening on (\S+)/.exec(output);
      if (match) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`imprint exited with ${code}: ${output}`)));
  });
  console.error(`soak: ${CLIENTS} clients over ${ACCOUNTS} accounts for ${SECONDS} s against ${url}`);
  const started = Date.now();
  const deadline = started + SECONDS * 1000;
  await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(url, tokens[i % ACCOUNTS], deadline)));
  console.error(`soak: load done after ${((Date.now() - started) / 1000).toFixed(0)} s; waiting for operations to end`);
  await waitForQuietOperations(url, tokens);

  child.kill("SIGTERM");
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  const app = await createApp(config);
  const { url: restartedUrl } = await app.start();
  const problems = await checkInvariants(app, dataDir, restartedUrl);
  const counts = {
    servers: await app.domain.deps.db.server.count(),
    templates: await app.domain.deps.db.imageTemplate.count(),
    operations: await app.domain.deps.db.operation.groupBy({ by: ["status"], _count: true }),
  };
  await app.stop();
  rmSync(dataDir, { recursive: true, force: true });

  const rows = [...tallies].sort(([a], [b]) => a.localeCompare(b));
  console.log(`\n| request | sent | succeeded | refused (why: count) | unexpected |\n|---|---|---|---|---|`);
  for (const [action, t] of rows) {
    const refused = [...t.refused].map(([why, n]) => `${why}: ${n}`).join(", ") || "-";
    console.log(`| ${action} | ${t.sent} | ${t.ok} | ${refused} | ${t.unexpected.length} |`);
  }
  const unexpected = rows.flatMap(([, t]) => t.unexpected);
  console.log(`\nSIGTERM exit code: ${code}; afterwards: ${counts.servers} servers, ${counts.templates} templates, operations ${counts.operations.map((g) => `${g.status} ${g._count}`).join(", ")}`);
  console.log(`invariants: ${problems.length === 0 ? "all hold" : problems.join("\n  ")}`);
  if (unexpected.length) console.log(`unexpected answers:\n  ${unexpected.slice(0, 20).join("\n  ")}`);
  process.exit(problems.length === 0 && unexpected.length === 0 ? 0 : 1);
}

await main();
