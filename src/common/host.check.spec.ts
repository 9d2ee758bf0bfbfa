import { hostCheck } from './host.check';

function run(host: string | undefined): number {
  let status = 0;
  const res = { status: (s: number) => ((status = s), res), type: () => res, send: () => res } as never;
  hostCheck(['uws.example.org'])({ headers: { host } } as never, res, () => (status = 200));
  return status;
}

describe('hostCheck', () => {
  it('lets through the service names and loopback', () => {
    expect(run('uws.example.org')).toBe(200);
    expect(run('UWS.example.org:443')).toBe(200);
    expect(run('127.0.0.1:8080')).toBe(200);
    expect(run('[::1]:8080')).toBe(200);
  });
  it('refuses other names with 421', () => {
    expect(run('evil.example.com')).toBe(421);
    expect(run(undefined)).toBe(421);
  });
});
