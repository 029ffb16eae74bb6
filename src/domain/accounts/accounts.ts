// Accounts and their API tokens. A token is shown once; only its SHA-256 is stored.
import { createHash, randomBytes } from "node:crypto";
import type { DomainDeps, Viewer } from "../deps.js";

import { accountStoredBytes } from "./quotas.js";

export function hashToken(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

export function generateTokenSecret(): string {
  return `imp_${randomBytes(24).toString("base64url")}`;
}

const LAST_USED_PRECISION_MS = 60_000;

export class Accounts {
  constructor(private readonly deps: Pick<DomainDeps, "db" | "clock" | "ids">) {}

  /** The viewer a bearer token stands for, or null for a missing or unknown token. */
  async authenticate(secret: string | null | undefined): Promise<Viewer | null> {
    if (!secret) return null;
    const token = await this.deps.db.apiToken.findUnique({ where: { tokenHash: hashToken(secret) } });
    if (!token) return null;
    // When a token was last used, to the minute: one write a minute, not one per request.
    if (!token.lastUsedAt || this.deps.clock.millis() - token.lastUsedAt.getTime() > LAST_USED_PRECISION_MS) {
      await this.deps.db.apiToken.update({ where: { id: token.id }, data: { lastUsedAt: this.deps.clock.now() } });
    }
    return { accountId: token.accountId, tokenId: token.id };
  }

  async create(name: string, secret = generateTokenSecret()): Promise<{ accountId: string; token: string }> {
    const accountId = this.deps.ids.next("acct");
    await this.deps.db.account.create({
      data: { id: accountId, name, tokens: { create: { id: this.deps.ids.next("tok"), name: "default", tokenHash: hashToken(secret) } } },
    });
    return { accountId, token: secret };
  }

  /** Makes sure the secret is a valid token of the account (for a fixed IMPRINT_DEMO_TOKEN). */
  async ensureToken(accountId: string, secret: string): Promise<void> {
    const tokenHash = hashToken(secret);
    const existing = await this.deps.db.apiToken.findUnique({ where: { tokenHash } });
    if (!existing) await this.deps.db.apiToken.create({ data: { id: this.deps.ids.next("tok"), accountId, name: "demo", tokenHash } });
  }

  async get(viewer: Viewer) {
    return this.deps.db.account.findUniqueOrThrow({ where: { id: viewer.accountId } });
  }

  /** What the account's templates need from the store (see quotas.ts). */
  storedBytes(viewer: Viewer): Promise<number> {
    return accountStoredBytes(this.deps.db, viewer.accountId);
  }

  count(): Promise<number> {
    return this.deps.db.account.count();
  }

  findByName(name: string) {
    return this.deps.db.account.findFirst({ where: { name } });
  }
}
