import type { Response } from 'express';
import { randomBytes } from 'node:crypto';

/**
 * Sends an HTML page with a per-response CSP nonce: only the page's own inline style and script may run,
 * forms may post and scripts may fetch only to this service, and the page cannot be framed.
 */
export function sendHtmlPage(
  res: Response,
  status: number,
  baseUrl: string,
  render: (nonce: string) => string,
  headers: Record<string, string> = {},
): void {
  const nonce = randomBytes(16).toString('base64url');
  const origin = new URL(baseUrl).origin;
  res
    .status(status)
    .set({
      'Content-Security-Policy':
        `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; img-src 'self' data:; connect-src 'self' ${origin}; ` +
        `form-action 'self' ${origin}; base-uri 'none'; frame-ancestors 'none'`,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
      ...headers,
    })
    .type('text/html; charset=utf-8')
    .send(render(nonce));
}
