/**
 * Failed sign-ins per key ("user:<name>", "ip:<address>") in a sliding window. Once a key has `limit`
 * failures within the window, attempts under it are refused until the oldest failure leaves the window.
 * Memory is bounded: stale keys are swept, and past `maxKeys` the oldest keys are dropped.
 */
export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  private recent(key: string, now: number): number[] {
    const list = this.failures.get(key);
    if (!list) return [];
    const kept = list.filter((t) => t > now - this.windowMs);
    if (kept.length === 0) this.failures.delete(key);
    else if (kept.length !== list.length) this.failures.set(key, kept);
    return kept;
  }

  /** Milliseconds until an attempt is allowed again under every key (each with its own limit); 0 when allowed. */
  blockedFor(keys: { key: string; limit: number }[]): number {
    const now = this.now();
    let wait = 0;
    for (const { key, limit } of keys) {
      const list = this.recent(key, now);
      if (list.length >= limit) wait = Math.max(wait, list[list.length - limit] + this.windowMs - now);
    }
    return wait;
  }

  fail(keys: string[]): void {
    const now = this.now();
    for (const key of keys) {
      const list = this.recent(key, now);
      // Only the most recent failures matter; a list never grows without bound.
      if (list.length >= 1000) list.shift();
      list.push(now);
      this.failures.delete(key); // re-inserted last: the Map's order is then "least recently failed first"
      this.failures.set(key, list);
    }
    if (this.failures.size > this.maxKeys) this.sweep(now);
  }

  /** A success under a key forgets its failures (used for the user name, not for the address). */
  reset(key: string): void {
    this.failures.delete(key);
  }

  private sweep(now: number): void {
    for (const key of [...this.failures.keys()]) this.recent(key, now);
    for (const key of this.failures.keys()) {
      if (this.failures.size <= this.maxKeys) break;
      this.failures.delete(key);
    }
  }

  get size(): number {
    return this.failures.size;
  }
}
