import type { Request, Response } from 'express';
import type { QueryParams } from './job-list.filter';

/** Query string and form body merged: clients send control parameters in either (UWS digest §7). */
export function requestParams(req: Request): QueryParams {
  // No prototype: a parameter named __proto__ or constructor is data, not an inherited member.
  const out: Record<string, string[]> = Object.create(null);
  const add = (src: unknown) => {
    if (!src || typeof src !== 'object') return;
    for (const [k, v] of Object.entries(src as Record<string, unknown>)) {
      const list = Array.isArray(v) ? v : [v];
      for (const item of list) if (typeof item === 'string') (out[k] ??= []).push(item);
    }
  };
  add(req.query);
  add(req.body);
  return out;
}

/** JSON only when the client prefers it; XML stays the default (UWS: XML MUST be preferred). */
export function wantsJson(req: Request): boolean {
  return req.accepts(['application/xml', 'text/xml', 'application/json']) === 'application/json';
}

export function sendXml(res: Response, xml: string): void {
  res.status(200).type('application/xml; charset=utf-8').send(xml);
}

/** Atomic resources: text/plain, no trailing newline, empty when there is no value. */
export function sendText(res: Response, text: string): void {
  res.status(200).type('text/plain; charset=utf-8').send(text);
}

/** A path on this site: one leading slash (not "//" nor a slash and a backslash), no backslash, whitespace or control character. */
const LOCAL_PATH = /^\/(?![/\\])[^\\\s\u0000-\u001f\u007f]*$/;

/**
 * Where a state change sends the client: the resource, or for a browser form that names a way back in its
 * `_redirect` field (body or query), that path on the same origin. Anything else (another site, a
 * scheme-relative "//host", a malformed path) is ignored, so the field cannot make an open redirect.
 */
export function redirectTarget(req: Request | undefined, url: string): string {
  if (!req || req.method === 'GET' || req.method === 'HEAD') return url;
  const given = [req.body, req.query].map((src) => (src && typeof src === 'object' ? (src as Record<string, unknown>)._redirect : undefined));
  const path = given.find((v) => v !== undefined);
  if (typeof path !== 'string' || !LOCAL_PATH.test(path)) return url;
  const origin = new URL(url).origin;
  const target = new URL(path, origin);
  return target.origin === origin ? target.href : url;
}

export function seeOther(res: Response, url: string): void {
  url = redirectTarget(res.req as Request | undefined, url);
  res.status(303).location(url).type('text/plain; charset=utf-8').send(`See ${url}`);
}
