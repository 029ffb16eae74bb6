// Tokens authenticated in the last few seconds, so a client's burst of requests does not read
// its token row for each one. Revocation still acts at once: a revoke drops the token here in
// the same call, and the token-revoked event drops it on every instance that shares the bus.
// Expiry is checked against the clock on every request, cached or not.
import { LRUCache } from "lru-cache";
import type { EventBus } from "../operations/events.ts";

export interface CachedToken {
  id: string;
  accountId: string;
  role: string;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

/** Long enough to absorb a burst, short enough that a missed event is bounded. */
export const TOKEN_CACHE_TTL_MS = 5_000;
const TOKEN_CACHE_MAX = 10_000;

export class TokenCache {
  private readonly byHash = new LRUCache<string, CachedToken>({ max: TOKEN_CACHE_MAX, ttl: TOKEN_CACHE_TTL_MS });

  constructor(events: Pick<EventBus, "onTokenRevoked">) {
    events.onTokenRevoked((tokenId) => this.forget(tokenId));
  }

  get(tokenHash: string): CachedToken | undefined {
    return this.byHash.get(tokenHash);
  }

  set(tokenHash: string, token: CachedToken): void {
    this.byHash.set(tokenHash, token);
  }

  /** A walk over at most TOKEN_CACHE_MAX entries: revocations are rare, requests are not. */
  forget(tokenId: string): void {
    const hashes = [...this.byHash.entries()].filter(([, token]) => token.id === tokenId).map(([tokenHash]) => tokenHash);
    for (const tokenHash of hashes) this.byHash.delete(tokenHash);
  }
}
