import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { printSortedSchema } from "../src/graphql/schema.ts";

describe("schema.graphql", () => {
  it("matches the Pothos schema (regenerate with npm run schema:print)", () => {
    const committed = readFileSync(new URL("../schema.graphql", import.meta.url), "utf8");
    expect(committed).toBe(`${printSortedSchema()}\n`);
  });

  it("follows the API conventions: payload-or-error unions, one input, Relay nodes", () => {
    const sdl = printSortedSchema();
    expect(sdl).toMatch(/createServer\(input: CreateServerInput!\): CreateServerResult!/);
    expect(sdl).toMatch(/union CreateServerResult = ConflictError \| CreateServerPayload \| ForbiddenError \| NotFoundError \| QuotaExceededError \| ValidationError/);
    expect(sdl).toMatch(/interface Error \{\n  code: ErrorCode!\n  message: String!\n\}/);
    expect(sdl).toMatch(/type Server implements Node/);
    expect(sdl).toMatch(/operationProgress\(id: ID!\): Operation!/);
  });
});
