import { ConfigError, loadConfig } from './app.config';

describe('loadConfig: access settings', () => {
  it('defaults: anonymous access on, 12 h sessions, 100 active jobs per user, 5 failed sign-ins per 5 min', () => {
    const c = loadConfig({}, '/srv');
    expect(c.anonymousAccess).toBe(true);
    expect(c.sessionSecret).toBeUndefined();
    expect(c.sessionTtlSeconds).toBe(43200);
    expect(c.maxActiveJobsPerUser).toBe(100);
    expect(c.signinRateLimit).toEqual({ failures: 5, windowSeconds: 300 });
  });

  it('reads them from the environment', () => {
    const c = loadConfig(
      { ANONYMOUS_ACCESS: 'false', SESSION_SECRET: 's3cret', SESSION_TTL: '3600', MAX_ACTIVE_JOBS_PER_USER: '7', SIGNIN_RATE_LIMIT: '10/60' },
      '/srv',
    );
    expect(c).toMatchObject({ anonymousAccess: false, sessionSecret: 's3cret', sessionTtlSeconds: 3600, maxActiveJobsPerUser: 7, signinRateLimit: { failures: 10, windowSeconds: 60 } });
  });

  it.each([
    ['ANONYMOUS_ACCESS', 'maybe'],
    ['SESSION_TTL', '10'],
    ['MAX_ACTIVE_JOBS_PER_USER', '0'],
    ['SIGNIN_RATE_LIMIT', '5'],
    ['SIGNIN_RATE_LIMIT', '0/60'],
  ])('refuses %s=%s, naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value }, '/srv')).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value }, '/srv')).toThrow(name);
  });
});
