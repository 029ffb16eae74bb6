// GraphiQL in a real browser (Debian's Chromium driven by playwright-core, headless, with
// nothing reachable but the server): a query with the pre-filled demo token, a capture, and
// its subscription followed to SUCCEEDED in the result pane; a screenshot is kept in
// test/artifacts/. Skipped, saying why, where Chromium is not installed (.ci/run installs it).
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./helpers/app.ts";

const CHROMIUM = "/usr/bin/chromium";
const TOKEN = "imp_browser-test-token-012345";
const ARTIFACTS = path.resolve("test/artifacts");

describe.skipIf(!existsSync(CHROMIUM))(`GraphiQL in Chromium${existsSync(CHROMIUM) ? "" : " (skipped: /usr/bin/chromium is not installed: Debian package chromium)"}`, () => {
  let t: TestApp;
  let browser: Browser;
  let origin: string;

  beforeAll(async () => {
    t = await startTestApp({ env: { NODE_ENV: "development", IMPRINT_SEED_DEMO: "true", IMPRINT_DEMO_TOKEN: TOKEN } });
    origin = new URL(t.url).origin;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  /** Opens GraphiQL with `query` in the editor, runs it, and returns the result pane once `done` holds. */
  async function run(page: Page, query: string, done: (text: string) => boolean, what: string): Promise<string> {
    await page.goto(`${origin}/graphql?query=${encodeURIComponent(query)}`);
    await page.locator(".graphiql-execute-button").first().click({ timeout: 30_000 });
    const pane = page.locator(".graphiql-response").first();
    const deadline = Date.now() + 60_000;
    for (;;) {
      // The pane is a code editor: its lines are elements, its spaces non-breaking.
      const text = (await pane.innerText()).replace(/\u00a0/g, " ");
      if (done(text)) return text;
      if (Date.now() > deadline) {
        mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: path.join(ARTIFACTS, "graphiql-timeout.png"), fullPage: true });
        throw new Error(`timed out waiting for ${what}; the result pane says: ${text.slice(0, 500)}`);
      }
      await page.waitForTimeout(100);
    }
  }

  it("runs a query with the pre-filled token, starts a capture, and follows it to SUCCEEDED", async () => {
    const page = await browser.newPage();
    // Nothing but the imprint server is reachable: the page must work with its inlined assets.
    const outside: string[] = [];
    await page.route("**/*", (route) => {
      if (route.request().url().startsWith(origin)) return route.continue();
      outside.push(route.request().url());
      return route.abort();
    });
    try {
      const listed = await run(page, `{ servers(filter: { hostnameContains: "app01" }) { edges { node { id hostname status } } } }`, (text) => /"status": "ACTIVE"/.test(text), "app01 ACTIVE");
      const serverId = /"id":\s*"([^"]+)"/.exec(listed)![1];

      const started = await run(
        page,
        `mutation { captureImageTemplate(input: { serverId: "${serverId}", name: "from-the-browser" }) { __typename ... on CaptureImageTemplatePayload { operation { id } } ... on Error { message } } }`,
        (text) => text.includes("__typename"),
        "the capture's answer",
      );
      expect(started).toContain("CaptureImageTemplatePayload");
      const operationId = /"id":\s*"([^"]+)"/.exec(started)![1];

      await run(page, `subscription { operationProgress(id: "${operationId}") { status step progress } }`, (text) => text.includes('"SUCCEEDED"'), "the capture SUCCEEDED in the result pane");
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, "graphiql-capture.png"), fullPage: true });
      expect(outside).toEqual([]);
    } finally {
      await page.close();
    }
  }, 180_000);
});
