// Accounts and their API tokens: the one authentication path of every transport, and the
// tokens an ADMIN makes and revokes. A token is shown once; only its SHA-256 is stored.
import { createHash, randomBytes } from "node:crypto";
import type { DomainDeps, Viewer } from "../deps.ts";
import { checkText, ConflictError, FieldProblems, NotFoundError } from "../kernel/index.ts";
import { isRole, ROLES, scopesOf, type Role } from "./roles.ts";

import { accountStoredBytes } from "./quotas.ts";
import { TokenCache, type CachedToken } from "./token-cache.ts";

export function hashToken(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

export function generateTokenSecret(): string {
  return `imp_${randomBytes(24).toString("base64url")}`;
}

const LAST_USED_PRECISION_MS = 60_000;
const TOKEN_NAME_MAX = 100;

export type ApiTokenRow = Awaited<ReturnType<DomainDeps["db"]["apiToken"]["findFirstOrThrow"]>>;

export class Accounts {
  private readonly recentTokens: TokenCache;

  private readonly deps: Pick<DomainDeps, "db" | "clock" | "ids" | "events">;
  constructor(deps: Pick<DomainDeps, "db" | "clock" | "ids" | "events">) {
    this.deps = deps;
    this.recentTokens = new TokenCache(deps.events);
  }

  /** The viewer a bearer token stands for, or null for a missing, unknown, revoked or expired token. */
  async authenticate(secret: string | null | undefined): Promise<Viewer | null> {
    if (!secret) return null;
    const token = await this.liveToken(hashToken(secret));
    if (!token || (token.expiresAt && token.expiresAt.getTime() <= this.deps.clock.millis())) return null;
    // When a token was last used, to the minute: one write a minute, not one per request.
    if (!token.lastUsedAt || this.deps.clock.millis() - token.lastUsedAt.getTime() > LAST_USED_PRECISION_MS) {
      token.lastUsedAt = this.deps.clock.now();
      await this.deps.db.apiToken.update({ where: { id: token.id }, data: { lastUsedAt: token.lastUsedAt } });
    }
    return { accountId: token.accountId, tokenId: token.id, role: isRole(token.role) ? token.role : "VIEWER", expiresAt: token.expiresAt };
  }

  /** The token with this hash unless it is unknown or revoked, from the recent ones when it is there. */
  private async liveToken(tokenHash: string): Promise<CachedToken | null> {
    const recent = this.recentTokens.get(tokenHash);
    if (recent) return recent;
    const row = await this.deps.db.apiToken.findUnique({
      where: { tokenHash },
      select: { id: true, accountId: true, role: true, expiresAt: true, lastUsedAt: true, revokedAt: true },
    });
    if (!row || row.revokedAt) return null;
    const token = { id: row.id, accountId: row.accountId, role: row.role, expiresAt: row.expiresAt, lastUsedAt: row.lastUsedAt };
    this.recentTokens.set(tokenHash, token);
    return token;
  }

  /** A new token of the viewer's account; its secret is in the answer and nowhere else. */
  async createToken(viewer: Viewer, input: { name: string; role: string; expiresAt?: Date | null }): Promise<{ token: ApiTokenRow; secret: string }> {
    const problems = new FieldProblems();
    checkText(problems, "name", input.name, { max: TOKEN_NAME_MAX });
    if (!isRole(input.role)) problems.add("role", `must be one of ${ROLES.join(", ")}`);
    if (input.expiresAt && input.expiresAt.getTime() <= this.deps.clock.millis()) problems.add("expiresAt", "must be in the future");
    problems.throwIfAny();
    const secret = generateTokenSecret();
    const token = await this.deps.db.apiToken.create({
      data: { id: this.deps.ids.next("tok"), accountId: viewer.accountId, name: input.name, role: input.role as Role, expiresAt: input.expiresAt ?? null, tokenHash: hashToken(secret) },
    });
    return { token, secret };
  }

  /** Stops a token at once: the next request with it gets 401, and its open subscriptions end. */
  async revokeToken(viewer: Viewer, tokenId: string): Promise<ApiTokenRow> {
    const { count } = await this.deps.db.apiToken.updateMany({ where: { id: tokenId, accountId: viewer.accountId, revokedAt: null }, data: { revokedAt: this.deps.clock.now() } });
    const token = await this.deps.db.apiToken.findFirst({ where: { id: tokenId, accountId: viewer.accountId } });
    if (!token) throw new NotFoundError("ApiToken", tokenId, "id");
    if (count === 0) throw new ConflictError(`token "${token.name}" is already revoked`, "REVOKED");
    // Also on this instance's cache directly: the next request must be refused whatever the bus does.
    this.recentTokens.forget(token.id);
    this.deps.events.publishTokenRevoked(token.id);
    return token;
  }

  /** The account's tokens, newest first (revoked ones too, with when). */
  tokens(viewer: Viewer): Promise<ApiTokenRow[]> {
    return this.deps.db.apiToken.findMany({ where: { accountId: viewer.accountId }, orderBy: { id: "desc" } });
  }

  /** Tokens are the ADMIN's business: for another role, none exists. */
  async loadTokens(viewer: Viewer, ids: readonly string[]): Promise<ApiTokenRow[]> {
    if (!scopesOf(viewer.role).admin) return [];
    return this.deps.db.apiToken.findMany({ where: { accountId: viewer.accountId, id: { in: [...ids] } } });
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
