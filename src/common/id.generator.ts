import { randomBytes } from 'node:crypto';

export abstract class IdGenerator {
  abstract jobId(): string;
}

/** 12 random bytes, base32-ish lower case: URL-safe, unguessable, sortable by nothing. */
export class RandomIdGenerator extends IdGenerator {
  jobId(): string {
    const b = randomBytes(10);
    const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
    let out = '';
    let bits = 0;
    let acc = 0;
    for (const byte of b) {
      acc = (acc << 8) | byte;
      bits += 8;
      while (bits >= 5) {
        out += alphabet[(acc >>> (bits - 5)) & 31];
        bits -= 5;
      }
    }
    return out;
  }
}
