import type { Request } from 'express';
import { redirectTarget } from './http.util';

const JOB = 'https://uws.example/base/rest/sleep/abc';
const req = (method: string, body?: Record<string, unknown>, query: Record<string, unknown> = {}) => ({ method, body, query }) as unknown as Request;

describe('redirectTarget (the browser forms\' _redirect field)', () => {
  it('sends a state change back to a path on the same origin', () => {
    expect(redirectTarget(req('POST', { _redirect: '/base/jobs?phase=PENDING&sort=oldest' }), JOB)).toBe('https://uws.example/base/jobs?phase=PENDING&sort=oldest');
    expect(redirectTarget(req('DELETE', {}, { _redirect: '/base/jobs' }), JOB)).toBe('https://uws.example/base/jobs');
    expect(redirectTarget(req('POST', { _redirect: '/base/jobs/sleep/abc#results' }), JOB)).toBe('https://uws.example/base/jobs/sleep/abc#results');
  });

  it('ignores anything that could leave the site, and any GET', () => {
    const evil = ['https://evil.example/', '//evil.example', '///evil.example', '/\\evil.example', '\\/evil.example', 'javascript:alert(1)',
      'evil.example', ' /jobs', '/jobs\r\nSet-Cookie: a=b', '/jobs\tx', '/a\\b', '', 42, ['/jobs', '/x']];
    for (const e of evil) expect(redirectTarget(req('POST', { _redirect: e }), JOB)).toBe(JOB);
    expect(redirectTarget(req('GET', {}, { _redirect: '/jobs' }), JOB)).toBe(JOB);
    expect(redirectTarget(req('POST'), JOB)).toBe(JOB);
    expect(redirectTarget(undefined, JOB)).toBe(JOB);
  });
});
