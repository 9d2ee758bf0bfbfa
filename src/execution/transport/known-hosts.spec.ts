import {
  checkHostKey,
  fingerprintSha256,
  hostKeyAlgorithmsFor,
  hostKeyPolicy,
  keyTypeOf,
  lineMatches,
  parseKnownHosts,
  policyKeyTypes,
} from './known-hosts';

// Two real ed25519 keys; fingerprints as printed by `ssh-keygen -l -E sha256`.
const K1 = 'AAAAC3NzaC1lZDI1NTE5AAAAIOSJU9Per6eKX1dLuhrrAO4mahlJrsXMDOY0cNVQjUMq';
const K1_FP = 'SHA256:RE282ZcWtmIjZLkL82LKbWX6LTdYHYTqS3C9qXvIh/s';
const K2 = 'AAAAC3NzaC1lZDI1NTE5AAAAINebKvrIyB/qmGFNdbpCVB/iQdV8j/A6Y3GSkL2aXNZL';
const K2_FP = 'SHA256:ksh4iklfYgf4uJAvg9YYTqXLEIQAw9uyRmNT/JMrGFs';
const k1 = Buffer.from(K1, 'base64');
const k2 = Buffer.from(K2, 'base64');
// `ssh-keygen -H` of "[127.0.0.1]:2222 ssh-ed25519 K1"
const HASHED = `|1|iKz46Lgla86Wzc1o+N5AiB6j4Pg=|UJI4v4fnzTDscRfwQGkFLcw/b6o= ssh-ed25519 ${K1}`;

describe('known_hosts', () => {
  it('computes OpenSSH SHA256 fingerprints and key types', () => {
    expect(fingerprintSha256(k1)).toBe(K1_FP);
    expect(fingerprintSha256(k2)).toBe(K2_FP);
    expect(keyTypeOf(k1)).toBe('ssh-ed25519');
  });

  it('parses plain, bracketed, hashed, marked and comment lines', () => {
    const entries = parseKnownHosts(
      ['# comment', '', `[127.0.0.1]:2222 ssh-ed25519 ${K1}`, `host.example,10.0.0.1 ssh-ed25519 ${K2} comment`, HASHED, `@revoked * ssh-ed25519 ${K2}`, 'garbage'].join('\n'),
    );
    expect(entries).toHaveLength(4);
    expect(entries[0]).toMatchObject({ line: 3, patterns: ['[127.0.0.1]:2222'], keyType: 'ssh-ed25519' });
    expect(entries[1].patterns).toEqual(['host.example', '10.0.0.1']);
    expect(entries[2].hashed).toBeDefined();
    expect(entries[3].marker).toBe('revoked');
  });

  it('matches [host]:port for non-22 ports, bare host for 22, hashed names, wildcards and negations', () => {
    const [bracketed, plain, hashed] = parseKnownHosts(
      [`[127.0.0.1]:2222 ssh-ed25519 ${K1}`, `127.0.0.1 ssh-ed25519 ${K1}`, HASHED].join('\n'),
    );
    expect(lineMatches(bracketed, '127.0.0.1', 2222)).toBe(true);
    expect(lineMatches(bracketed, '127.0.0.1', 22)).toBe(false);
    expect(lineMatches(plain, '127.0.0.1', 22)).toBe(true);
    expect(lineMatches(plain, '127.0.0.1', 2222)).toBe(false);
    expect(lineMatches(hashed, '127.0.0.1', 2222)).toBe(true);
    expect(lineMatches(hashed, '127.0.0.2', 2222)).toBe(false);
    const [wild] = parseKnownHosts(`*.cluster.example,!bad.cluster.example ssh-ed25519 ${K1}`);
    expect(lineMatches(wild, 'login1.cluster.example', 22)).toBe(true);
    expect(lineMatches(wild, 'bad.cluster.example', 22)).toBe(false);
    expect(lineMatches(wild, 'cluster.example', 22)).toBe(false);
  });

  it('accepts the known key and refuses a changed one with a clear message', () => {
    const policy = hostKeyPolicy({ knownHosts: `[127.0.0.1]:2222 ssh-ed25519 ${K1}\n`, knownHostsSource: '/kh' }, '127.0.0.1', 2222);
    expect(checkHostKey(policy, '127.0.0.1', 2222, k1)).toEqual({ ok: true });
    const bad = checkHostKey(policy, '127.0.0.1', 2222, k2);
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.reason).toMatch(/HOST KEY MISMATCH for \[127\.0\.0\.1\]:2222.*SHA256:ksh4.*\/kh/);
    expect(policyKeyTypes(policy)).toEqual(['ssh-ed25519']);
  });

  it('refuses an unknown host when the policy is built', () => {
    expect(() => hostKeyPolicy({ knownHosts: `[127.0.0.1]:2222 ssh-ed25519 ${K1}\n`, knownHostsSource: '/kh' }, '127.0.0.1', 2223)).toThrow(
      /no key for \[127\.0\.0\.1\]:2223 in \/kh/,
    );
    expect(() => hostKeyPolicy({}, 'h', 22)).toThrow(/known_hosts file or a pinned SHA256 fingerprint/);
  });

  it('refuses a revoked key even when it is also listed', () => {
    const policy = hostKeyPolicy({ knownHosts: `h ssh-ed25519 ${K1}\nh ssh-ed25519 ${K2}\n@revoked h ssh-ed25519 ${K2}\n` }, 'h', 22);
    expect(checkHostKey(policy, 'h', 22, k1).ok).toBe(true);
    const v = checkHostKey(policy, 'h', 22, k2);
    expect(!v.ok && v.reason).toMatch(/@revoked/);
  });

  it('checks a pinned fingerprint (with or without base64 padding)', () => {
    const policy = hostKeyPolicy({ fingerprint: K1_FP }, 'h', 22);
    expect(checkHostKey(policy, 'h', 22, k1).ok).toBe(true);
    const v = checkHostKey(policy, 'h', 22, k2);
    expect(!v.ok && v.reason).toMatch(/not the pinned fingerprint/);
    expect(checkHostKey(hostKeyPolicy({ fingerprint: [`${K2_FP}=`, K1_FP] }, 'h', 22), 'h', 22, k2).ok).toBe(true);
    expect(() => hostKeyPolicy({ fingerprint: 'MD5:aa:bb' }, 'h', 22)).toThrow(/SHA256:/);
  });

  it('offers the host key algorithms of the known keys', () => {
    expect(hostKeyAlgorithmsFor(['ssh-ed25519', 'ssh-rsa'])).toEqual(['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
  });
});
