// Requests per token per minute (HTTP requests and subscription starts alike). Over the
// limit: HTTP 429 with Retry-After, or a subscription error with the same code. With a shared
// Redis the budget is one for every instance (rate-limiter-flexible's Redis store); while
// Redis is away each instance keeps a budget of its own in memory, rather than refusing all.
import { GraphQLError } from "graphql";
import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { Viewer } from "../domain/index.ts";

export class TokenRateLimit {
  private readonly limiter: RateLimiterAbstract;

  private readonly perMinute: number;
  constructor(perMinute: number, redis: Redis | null = null) {
    this.perMinute = perMinute;
    const options = { points: perMinute, duration: 60 };
    this.limiter = redis
      ? new RateLimiterRedis({ ...options, storeClient: redis, keyPrefix: "imprint:rate", insuranceLimiter: new RateLimiterMemory(options) })
      : new RateLimiterMemory(options);
  }

  /** Counts one request of the viewer's token; throws a 429 error when over the limit. */
  async take(viewer: Viewer): Promise<void> {
    try {
      await this.limiter.consume(viewer.tokenId);
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      const retryAfter = Math.max(1, Math.ceil(refusal.msBeforeNext / 1000));
      throw new GraphQLError(`Rate limit exceeded: at most ${this.perMinute} requests per minute per token; retry in ${retryAfter} s`, {
        extensions: {
          code: "RATE_LIMITED",
          retryAfterSeconds: retryAfter,
          http: { status: 429, headers: { "Retry-After": String(retryAfter) } },
        },
      });
    }
  }
}
