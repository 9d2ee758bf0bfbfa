import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Per-job secrets for the cluster's event reports: HMAC-SHA256 of the job id under a server key, so no
 * token table is needed and a token is useless for any other job. The key comes from CALLBACK_SECRET or
 * is created once under DATA_DIR (mode 600) so tokens survive restarts.
 */
export class JobTokens {
  private readonly key: Buffer;

  constructor(secret: string | undefined, dataDir: string) {
    if (secret) {
      this.key = Buffer.from(secret, 'utf8');
    } else {
      const file = path.join(dataDir, 'callback.key');
      try {
        this.key = fs.readFileSync(file);
      } catch {
        fs.mkdirSync(dataDir, { recursive: true });
        const fresh = randomBytes(32);
        fs.writeFileSync(file, fresh, { mode: 0o600, flag: 'wx' });
        this.key = fs.readFileSync(file);
      }
    }
  }

  tokenFor(jobId: string): string {
    return createHmac('sha256', this.key).update(`job:${jobId}`).digest('hex');
  }

  verify(jobId: string, token: string): boolean {
    const expected = Buffer.from(this.tokenFor(jobId), 'utf8');
    const given = Buffer.from(token, 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
