import { createHash, createHmac } from 'node:crypto';

/**
 * Strict host key checking for the SSH transport, pure: an OpenSSH known_hosts file (plain, wildcard,
 * negated and hashed `|1|salt|hash` host patterns, `[host]:port` for non-22 ports, `@revoked` markers) or a
 * pinned `SHA256:…` fingerprint. An unknown host or a different key is refused, never learnt.
 */

export interface KnownHostLine {
  /** 1-based line number, for messages. */
  line: number;
  marker?: 'revoked' | 'cert-authority';
  /** Comma-separated patterns as written, or one hashed entry. */
  patterns: string[];
  hashed?: { salt: Buffer; hash: Buffer };
  keyType: string;
  /** The key blob (SSH wire format), as the server sends it. */
  key: Buffer;
}

export function parseKnownHosts(text: string): KnownHostLine[] {
  const out: KnownHostLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const lineText = raw.trim();
    if (!lineText || lineText.startsWith('#')) return;
    const fields = lineText.split(/\s+/);
    let marker: KnownHostLine['marker'];
    if (fields[0].startsWith('@')) {
      const m = fields.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else return; // unknown marker: ignore the line, as OpenSSH does
    }
    if (fields.length < 3) return;
    const [hosts, keyType, b64] = fields;
    const key = Buffer.from(b64, 'base64');
    if (key.length === 0) return;
    const entry: KnownHostLine = { line: i + 1, patterns: [], keyType, key, ...(marker ? { marker } : {}) };
    if (hosts.startsWith('|1|')) {
      const [, , salt, hash] = hosts.split('|');
      if (!salt || !hash) return;
      entry.hashed = { salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
    } else {
      entry.patterns = hosts.split(',').filter(Boolean);
    }
    out.push(entry);
  });
  return out;
}

/** The name a host is looked up by: `host` for port 22, `[host]:port` otherwise (OpenSSH's rule). */
export function hostLookupName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globToRegExp(glob: string): RegExp {
  const re = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i');
}

/** Does a known_hosts line name this host? Negated patterns (`!pat`) veto a match. */
export function lineMatches(entry: KnownHostLine, host: string, port: number): boolean {
  const name = hostLookupName(host, port);
  if (entry.hashed) {
    const h = createHmac('sha1', entry.hashed.salt).update(name).digest();
    return h.equals(entry.hashed.hash);
  }
  let matched = false;
  for (const p of entry.patterns) {
    const negated = p.startsWith('!');
    const pat = negated ? p.slice(1) : p;
    if (globToRegExp(pat).test(name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** OpenSSH's `SHA256:` fingerprint of a key blob (base64 without padding). */
export function fingerprintSha256(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type written at the start of a key blob (`ssh-ed25519`, `ecdsa-sha2-nistp256`, …). */
export function keyTypeOf(keyBlob: Buffer): string | undefined {
  if (keyBlob.length < 4) return undefined;
  const n = keyBlob.readUInt32BE(0);
  if (n <= 0 || n > 64 || 4 + n > keyBlob.length) return undefined;
  return keyBlob.subarray(4, 4 + n).toString('latin1');
}

/** Host key algorithms to offer for known key types (so the server presents a key we can check). */
export function hostKeyAlgorithmsFor(keyTypes: string[]): string[] {
  const out: string[] = [];
  for (const t of keyTypes) {
    const algs = t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t];
    for (const a of algs) if (!out.includes(a)) out.push(a);
  }
  return out;
}

export type HostKeyPolicy =
  | { kind: 'known_hosts'; entries: KnownHostLine[]; source: string }
  | { kind: 'fingerprint'; fingerprints: string[] };

export type HostKeyVerdict = { ok: true } | { ok: false; reason: string };

function normaliseFingerprint(fp: string): string {
  const t = fp.trim();
  if (!/^SHA256:[A-Za-z0-9+/]{43}=?$/.test(t)) {
    throw new Error(`host key fingerprint must look like SHA256:<43 base64 characters>, got '${fp}'`);
  }
  return t.replace(/=+$/, '');
}

/** Builds a policy; throws when it could never accept anything (so misconfiguration fails at start-up). */
export function hostKeyPolicy(
  opts: { knownHosts?: string; knownHostsSource?: string; fingerprint?: string | string[] },
  host: string,
  port: number,
): HostKeyPolicy {
  if (opts.fingerprint && (!Array.isArray(opts.fingerprint) || opts.fingerprint.length > 0)) {
    const list = Array.isArray(opts.fingerprint) ? opts.fingerprint : opts.fingerprint.split(',');
    return { kind: 'fingerprint', fingerprints: list.map(normaliseFingerprint) };
  }
  if (opts.knownHosts !== undefined) {
    const source = opts.knownHostsSource ?? 'known_hosts';
    const entries = parseKnownHosts(opts.knownHosts).filter((e) => e.marker !== 'cert-authority' && lineMatches(e, host, port));
    if (!entries.some((e) => e.marker !== 'revoked')) {
      throw new Error(
        `no key for ${hostLookupName(host, port)} in ${source}: add the server's host key (ssh-keyscan -p ${port} ${host}, checked out of band) or pin its SHA256 fingerprint`,
      );
    }
    return { kind: 'known_hosts', entries, source };
  }
  throw new Error('strict host key checking needs a known_hosts file or a pinned SHA256 fingerprint');
}

/** Key types the policy can check, for the host key algorithms to offer (undefined: any). */
export function policyKeyTypes(policy: HostKeyPolicy): string[] | undefined {
  if (policy.kind === 'fingerprint') return undefined;
  return [...new Set(policy.entries.filter((e) => e.marker !== 'revoked').map((e) => e.keyType))];
}

export function checkHostKey(policy: HostKeyPolicy, host: string, port: number, presented: Buffer): HostKeyVerdict {
  const fp = fingerprintSha256(presented);
  const name = hostLookupName(host, port);
  if (policy.kind === 'fingerprint') {
    if (policy.fingerprints.includes(fp)) return { ok: true };
    return {
      ok: false,
      reason: `host key of ${name} is ${fp}, which is not the pinned fingerprint ${policy.fingerprints.join(' or ')}: refusing to connect (possible man-in-the-middle, or the server's key changed)`,
    };
  }
  if (policy.entries.some((e) => e.marker === 'revoked' && e.key.equals(presented))) {
    return { ok: false, reason: `host key ${fp} of ${name} is marked @revoked in ${policy.source}: refusing to connect` };
  }
  const known = policy.entries.filter((e) => e.marker !== 'revoked');
  const hit = known.find((e) => e.key.equals(presented));
  if (hit) return { ok: true };
  const lines = known.map((e) => `${e.keyType} (line ${e.line})`).join(', ');
  return {
    ok: false,
    reason: `HOST KEY MISMATCH for ${name}: the server presented ${keyTypeOf(presented) ?? 'a key'} ${fp}, but ${policy.source} has ${lines}: refusing to connect (possible man-in-the-middle, or the server's key changed; update ${policy.source} only after checking the new key out of band)`,
  };
}
