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

export function seeOther(res: Response, url: string): void {
  res.status(303).location(url).type('text/plain; charset=utf-8').send(`See ${url}`);
}
