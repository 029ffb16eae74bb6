/** What time it is, for the domain (a port: wired in app.ts). */
export interface Clock {
  now(): Date;
  /** Milliseconds since the epoch, for durations and ordering. */
  millis(): number;
}

export const systemClock: Clock = {
  now: () => new Date(),
  millis: () => Date.now(),
};
