import type { NextFunction, Request, Response } from 'express';

/**
 * Answers only requests addressed to this service by name: a web page on another site whose name was made to
 * resolve to this machine (DNS rebinding) would otherwise reach an open localhost API from a victim's browser.
 * Allowed: the hosts of the public and callback URLs, loopback names, and any listed in ALLOWED_HOSTS.
 */
export function hostCheck(allowed: string[]): (req: Request, res: Response, next: NextFunction) => void {
  const names = new Set(['localhost', '127.0.0.1', '[::1]', ...allowed.map((h) => h.toLowerCase())]);
  return (req, res, next) => {
    const host = (req.headers.host ?? '').toLowerCase();
    const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
    if (names.has(name)) return next();
    res.status(421).type('text/plain; charset=utf-8').send(`This server does not answer for host '${name.slice(0, 100)}'`);
  };
}

export function hostOf(url: string): string {
  return new URL(url).hostname.toLowerCase();
}
