import { FailureLimiter } from './rate-limiter';

describe('FailureLimiter', () => {
  let now = 1_000_000;
  const limiter = () => new FailureLimiter(300_000, () => now);
  const k = (key: string, limit = 5) => [{ key, limit }];

  it('allows up to the limit of failures in the window, then blocks until the oldest leaves it', () => {
    const l = limiter();
    for (let i = 0; i < 5; i++) {
      expect(l.blockedFor(k('user:a'))).toBe(0);
      l.fail(['user:a']);
      now += 1000;
    }
    // 5 failures at t0 .. t0+4s; now = t0+5s: blocked until t0+300s.
    expect(l.blockedFor(k('user:a'))).toBe(295_000);
    now += 294_999;
    expect(l.blockedFor(k('user:a'))).toBe(1);
    now += 1;
    expect(l.blockedFor(k('user:a'))).toBe(0);
  });

  it('keeps keys apart, each with its own limit; the longest wait wins', () => {
    const l = limiter();
    for (let i = 0; i < 3; i++) l.fail(['ip:1', 'user:a']);
    expect(l.blockedFor(k('user:a', 5))).toBe(0);
    expect(l.blockedFor(k('user:a', 3))).toBe(300_000);
    expect(l.blockedFor([{ key: 'ip:1', limit: 20 }, { key: 'user:b', limit: 5 }])).toBe(0);
    expect(l.blockedFor([{ key: 'ip:1', limit: 20 }, { key: 'user:a', limit: 3 }])).toBe(300_000);
  });

  it('forgets a key on success', () => {
    const l = limiter();
    for (let i = 0; i < 5; i++) l.fail(['user:a']);
    expect(l.blockedFor(k('user:a'))).toBeGreaterThan(0);
    l.reset('user:a');
    expect(l.blockedFor(k('user:a'))).toBe(0);
  });

  it('stays bounded in memory: stale keys are swept, then the least recently failed are dropped', () => {
    const l = new FailureLimiter(1000, () => now, 100);
    for (let i = 0; i < 100; i++) l.fail([`ip:old-${i}`]);
    now += 2000;
    l.fail(['ip:new']);
    expect(l.size).toBe(1); // the stale ones went in the sweep
    for (let i = 0; i < 150; i++) l.fail([`ip:x-${i}`]);
    expect(l.size).toBeLessThanOrEqual(100);
    expect(l.blockedFor([{ key: 'ip:x-149', limit: 1 }])).toBeGreaterThan(0); // the newest is kept
  });
});
