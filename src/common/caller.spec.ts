import { ANONYMOUS, attachAuth, callerOf, csrfOf, ownerIdOf } from './caller';
import { DomainError } from './domain.error';

const alice = { id: 'u1', name: 'alice', admin: false };

describe('callerOf', () => {
  it('is the anonymous caller when nothing was attached', () => {
    expect(callerOf({})).toEqual(ANONYMOUS);
    expect(ownerIdOf(ANONYMOUS)).toBeNull();
    expect(ownerIdOf(alice)).toBe('alice');
  });

  it('returns what the guard attached; only session requests expose their CSRF token', () => {
    const req = {};
    attachAuth(req, { caller: alice, via: 'session', csrf: 'tok' });
    expect(callerOf(req)).toBe(alice);
    expect(csrfOf(req)).toBe('tok');
    const basic = {};
    attachAuth(basic, { caller: alice, via: 'basic' });
    expect(csrfOf(basic)).toBeUndefined();
  });

  it('checks a deferred CSRF token (multipart forms) against the parsed body: 403 without it or when wrong', () => {
    const req = (body: unknown) => {
      const r = { body };
      attachAuth(r, { caller: alice, via: 'session', csrf: 'right', pendingCsrf: 'right' });
      return r;
    };
    const status = (f: () => unknown) => {
      try {
        f();
        return 'ok';
      } catch (e) {
        return (e as DomainError).code;
      }
    };
    expect(status(() => callerOf(req(undefined)))).toBe('FORBIDDEN');
    expect(status(() => callerOf(req({})))).toBe('FORBIDDEN');
    expect(status(() => callerOf(req({ _csrf: 'wrong' })))).toBe('FORBIDDEN');
    expect(status(() => callerOf(req({ _csrf: ['right', 'right'] })))).toBe('FORBIDDEN');
    const ok = req({ _csrf: 'right' });
    expect(callerOf(ok)).toBe(alice);
    expect(callerOf(ok)).toBe(alice); // checked once, then settled
  });
});
