/**
 * UWS 1.1 XML documents, built as strings: the documents are small and fixed in shape, and string building
 * keeps the element order (mandatory, digest §4.1/§4.2) visible at a glance.
 *
 * Choices that matter to clients:
 * - `<?xml version="1.0"?>` without an encoding declaration: lxml refuses str input that declares one.
 * - No whitespace, comments or anything else between elements: some clients require every child of
 *   <uws:jobs> to be a jobref, and DOM-walking clients trip over whitespace text nodes.
 * - Every time goes through formatUwsTime, the same formatter as the text/plain resources.
 */
import {
  ErrorSummaryView,
  JobParameterView,
  JobRefView,
  JobResultView,
  JobView,
} from './job.model';
import { formatUwsTime } from './uws-time';

export const UWS_NS = 'http://www.ivoa.net/xml/UWS/v1.0';
export const XLINK_NS = 'http://www.w3.org/1999/xlink';
export const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
/** Our own namespace for jobInfo entries (the schema lets jobInfo hold anything, laxly). */
export const JOBINFO_NS = 'urn:uws-host:jobinfo';

const XML_DECL = '<?xml version="1.0"?>\n';
const NS_DECLS = `xmlns:uws="${UWS_NS}" xmlns:xlink="${XLINK_NS}" xmlns:xsi="${XSI_NS}"`;

// Everything outside the XML 1.0 Char production; with the u flag lone surrogates match too.
const ILLEGAL_XML_CHARS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  // Parsers turn a literal CR into LF, and tab/LF in attributes into spaces; references survive both.
  '\r': '&#13;',
  '\t': '&#9;',
  '\n': '&#10;',
};

/** Escape for element content: drops characters XML 1.0 cannot carry, escapes markup. */
export function escapeXmlText(text: string): string {
  return text.replace(ILLEGAL_XML_CHARS, '').replace(/[&<>"'\r]/g, (c) => ENTITIES[c]);
}

/** Escape for a double-quoted attribute value; also keeps tab/CR/LF from being normalised to spaces. */
export function escapeXmlAttr(text: string): string {
  return text.replace(ILLEGAL_XML_CHARS, '').replace(/[&<>"'\r\t\n]/g, (c) => ENTITIES[c]);
}

/**
 * An href fit for xlink:href (xs:anyURI): characters a URI can never contain are percent-encoded as
 * UTF-8, while everything a URI may contain, existing %XX escapes included, is left alone, so a proper
 * URL comes out unchanged. Callers should pass proper URLs; this only keeps a stray character (a space
 * or quote in an id, say) from making the whole document invalid.
 */
export function xmlHref(href: string): string {
  const clean = href.replace(ILLEGAL_XML_CHARS, '');
  // `[` `]` are legal only around an IPv6 host, so the authority gets its own, wider, set.
  const authority = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(clean)?.[0] ?? '';
  const host = authority.replace(/%(?![0-9A-Fa-f]{2})|[^\w\-.~:/@!$&'()*+,;=%[\]]/gu, encodeURIComponent);
  let inFragment = false;
  const rest = clean
    .slice(authority.length)
    .replace(/%(?![0-9A-Fa-f]{2})|[^\w\-.~:/?@!$&'()*+,;=%]/gu, (c) => {
      // The first `#` starts the fragment; any later one is data.
      if (c === '#' && !inFragment) {
        inFragment = true;
        return c;
      }
      return encodeURIComponent(c);
    });
  return escapeXmlAttr(host + rest);
}

/** A `<uws:name>` element with text, or `xsi:nil` when there is no value. */
function nillable(name: string, value: string | undefined): string {
  return value === undefined ? `<uws:${name} xsi:nil="true"/>` : el(name, value);
}

function el(name: string, value: string): string {
  return `<uws:${name}>${escapeXmlText(value)}</uws:${name}>`;
}

function time(d: Date | undefined): string | undefined {
  return d === undefined ? undefined : formatUwsTime(d);
}

/** `<uws:job>`, children in the schema's mandatory order. */
export function jobXml(v: JobView): string {
  const parts = [
    `<uws:job version="1.1" ${NS_DECLS}>`,
    el('jobId', v.jobId),
    v.runId !== undefined ? el('runId', v.runId) : '',
    nillable('ownerId', v.ownerId),
    el('phase', v.phase),
    // quote is optional in the schema; nil says "don't know" more clearly than leaving it out.
    nillable('quote', time(v.quote)),
    el('creationTime', formatUwsTime(v.creationTime)),
    nillable('startTime', time(v.startTime)),
    nillable('endTime', time(v.endTime)),
    el('executionDuration', String(v.executionDuration)),
    nillable('destruction', time(v.destruction)),
    parametersElement(v.parameters, ''),
    resultsElement(v.results, ''),
    v.errorSummary ? errorSummaryElement(v.errorSummary) : '',
    v.jobInfo ? jobInfoElement(v.jobInfo) : '',
    '</uws:job>',
  ];
  return XML_DECL + parts.join('');
}

/** Whole `<uws:jobs>` document. For long lists, stream jobListXmlHead + jobRefXml* + jobListXmlTail. */
export function jobListXml(refs: Iterable<JobRefView>): string {
  let xml = jobListXmlHead();
  for (const r of refs) xml += jobRefXml(r);
  return xml + jobListXmlTail();
}

export function jobListXmlHead(): string {
  return `${XML_DECL}<uws:jobs version="1.1" ${NS_DECLS}>`;
}

/** One `<uws:jobref>`; note phase comes first here, unlike in `<uws:job>`. */
export function jobRefXml(r: JobRefView): string {
  return (
    `<uws:jobref id="${escapeXmlAttr(r.jobId)}" xlink:href="${xmlHref(r.href)}" xlink:type="simple">` +
    el('phase', r.phase) +
    (r.runId !== undefined ? el('runId', r.runId) : '') +
    // ownerId is optional in a jobref, so an anonymous owner is simply left out.
    (r.ownerId !== undefined ? el('ownerId', r.ownerId) : '') +
    el('creationTime', formatUwsTime(r.creationTime)) +
    '</uws:jobref>'
  );
}

export function jobListXmlTail(): string {
  return '</uws:jobs>';
}

/** `<uws:results>` document (GET /{jobs}/{id}/results). */
export function resultsXml(results: readonly JobResultView[]): string {
  return XML_DECL + resultsElement(results, ` ${NS_DECLS}`);
}

/** `<uws:parameters>` document (GET /{jobs}/{id}/parameters). */
export function parametersXml(params: readonly JobParameterView[]): string {
  return XML_DECL + parametersElement(params, ` ${NS_DECLS}`);
}

function resultsElement(results: readonly JobResultView[], nsDecls: string): string {
  if (results.length === 0) return `<uws:results${nsDecls}/>`;
  return `<uws:results${nsDecls}>${results.map(resultElement).join('')}</uws:results>`;
}

function resultElement(r: JobResultView): string {
  let attrs = `id="${escapeXmlAttr(r.id)}" xlink:href="${xmlHref(r.href)}" xlink:type="simple"`;
  // xs:long; a size we cannot vouch for is better left out than made invalid.
  if (r.size !== undefined && Number.isSafeInteger(r.size) && r.size >= 0) attrs += ` size="${r.size}"`;
  if (r.mimeType) attrs += ` mime-type="${escapeXmlAttr(r.mimeType)}"`;
  return `<uws:result ${attrs}/>`;
}

function parametersElement(params: readonly JobParameterView[], nsDecls: string): string {
  if (params.length === 0) return `<uws:parameters${nsDecls}/>`;
  return `<uws:parameters${nsDecls}>${params.map(parameterElement).join('')}</uws:parameters>`;
}

// isPost is never written: it is undocumented in 1.1 and we never keep a raw POST body as a parameter.
function parameterElement(p: JobParameterView): string {
  const byRef = p.byReference ? ' byReference="true"' : '';
  return `<uws:parameter id="${escapeXmlAttr(p.id)}"${byRef}>${escapeXmlText(p.value)}</uws:parameter>`;
}

function errorSummaryElement(e: ErrorSummaryView): string {
  return (
    `<uws:errorSummary type="${e.type}" hasDetail="${e.hasDetail}">` +
    el('message', e.message) +
    '</uws:errorSummary>'
  );
}

function jobInfoElement(info: Record<string, string>): string {
  const entries = Object.entries(info)
    .map(([name, value]) => {
      const tag = `uh:${xmlLocalName(name)}`;
      return `<${tag}>${escapeXmlText(value)}</${tag}>`;
    })
    .join('');
  // The uh prefix is declared here, not on the root, so the root carries exactly the uws/xlink/xsi trio.
  return `<uws:jobInfo xmlns:uh="${JOBINFO_NS}">${entries}</uws:jobInfo>`;
}

/**
 * Turn an arbitrary key into a valid, prefix-free XML name (NCName), conservatively in ASCII: other
 * characters become `_`, and a name that would not start with a letter or `_`, or that starts with the
 * reserved `xml`, gets a leading `_`.
 */
export function xmlLocalName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_.-]/g, '_');
  return /^[A-Za-z_]/.test(safe) && !/^xml/i.test(safe) ? safe : `_${safe}`;
}
