import type { ClusterResources, JobDescriptor, ParamDescriptor, ParamType, ResourceLimit } from '../descriptor/descriptor.types';
import { EXT_NS, WADL_NS, XSD_NS } from '../descriptor/wadl.constants';

/**
 * The service WADL of one job list, generated from the job type's descriptor: the whole UWS 1.1 resource tree
 * under `${baseUrl}/rest/${type}`, with the job parameters on the creating POST. It is valid against the W3C
 * WADL schema (+ the host's extension schema), and reading it back with the plugin WADL reader yields the same
 * descriptor, so it can itself serve as a plugin's WADL.
 */

const UWS_NS = 'http://www.ivoa.net/xml/UWS/v1.0';

const PHASES = ['PENDING', 'QUEUED', 'EXECUTING', 'COMPLETED', 'ERROR', 'ABORTED', 'UNKNOWN', 'HELD', 'SUSPENDED', 'ARCHIVED'];

/** XML 1.0 text and attribute escaping; characters XML 1.0 cannot carry at all are dropped. */
export function escapeXml(value: string): string {
  return value
    .replace(/[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    // keep line breaks and tabs in attribute values (a parser would normalise them to spaces)
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

type Attrs = Record<string, string | number | boolean | undefined | null>;

function attrs(a: Attrs): string {
  return Object.entries(a)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
    .join('');
}

/** A small element writer: children are already-serialised XML lines, indented by the caller's depth. */
function el(indent: number, name: string, a: Attrs, children: string[] = []): string {
  const pad = '  '.repeat(indent);
  if (children.length === 0) return `${pad}<${name}${attrs(a)}/>`;
  return `${pad}<${name}${attrs(a)}>\n${children.join('\n')}\n${pad}</${name}>`;
}

function doc(indent: number, text: string | undefined | null, title?: string): string[] {
  if (text === undefined || text === null || text === '') return [];
  return [`${'  '.repeat(indent)}<doc${attrs({ title })}>${escapeXml(text)}</doc>`];
}

function wadlType(t: ParamType): string {
  return t === 'file' ? 'file' : `xs:${t}`;
}

interface ParamSpec {
  name: string;
  style: 'query' | 'template';
  type?: string;
  required?: boolean;
  repeating?: boolean;
  default?: string | number;
  fixed?: string;
  doc?: string;
  options?: { value: string; doc?: string; mediaType?: string; file?: string }[];
  ext?: Attrs;
}

function param(indent: number, p: ParamSpec): string {
  const children = [
    ...doc(indent + 1, p.doc),
    ...(p.options ?? []).map((o) =>
      el(indent + 1, 'option', { value: o.value, mediaType: o.mediaType, 'uh:file': o.file }, doc(indent + 2, o.doc)),
    ),
  ];
  return el(
    indent,
    'param',
    {
      name: p.name,
      style: p.style,
      type: p.type ?? 'xs:string',
      required: p.required ? 'true' : undefined,
      repeating: p.repeating ? 'true' : undefined,
      default: p.default,
      fixed: p.fixed,
      ...(p.ext ?? {}),
    },
    children,
  );
}

function jobParam(indent: number, p: ParamDescriptor): string {
  return param(indent, {
    name: p.name,
    style: 'query',
    type: wadlType(p.type),
    required: p.required,
    repeating: p.repeating,
    default: p.default,
    fixed: p.fixed,
    doc: p.doc,
    options: p.choices,
    ext: { 'uh:min': p.min, 'uh:max': p.max, 'uh:unit': p.unit, 'uh:pattern': p.pattern, 'uh:maxSize': p.maxSize },
  });
}

function method(indent: number, name: string, id: string, opts: { doc?: string; request?: string[]; response?: string[] }): string {
  const children = [...doc(indent + 1, opts.doc)];
  if (opts.request && opts.request.length > 0) children.push(el(indent + 1, 'request', {}, opts.request));
  if (opts.response) children.push(...opts.response);
  return el(indent, 'method', { name, id }, children);
}

function response(indent: number, status: number, representations: Attrs[], text?: string): string {
  return el(indent, 'response', { status }, [
    ...doc(indent + 1, text),
    ...representations.map((r) => el(indent + 1, 'representation', r)),
  ]);
}

const seeOther = (indent: number, text: string) => response(indent, 303, [], text);
const plainText = (indent: number, text: string) => response(indent, 200, [{ mediaType: 'text/plain' }], text);

function resource(indent: number, path: string, children: string[], text?: string): string {
  return el(indent, 'resource', { path }, [...doc(indent + 1, text), ...children]);
}

function resultOptions(d: JobDescriptor) {
  return d.results.map((r) => ({ value: r.id, mediaType: r.mediaType, file: r.file, doc: r.doc }));
}

function createMethod(d: JobDescriptor, i: number): string {
  const request = [
    ...d.parameters.map((p) => jobParam(i + 2, p)),
    // Not a job parameter: the results the job writes, as the plugin WADL format declares them.
    param(i + 2, {
      name: 'result-id',
      style: 'query',
      doc: 'Not a job parameter: the results a job of this type writes (see results/{result-id})',
      options: resultOptions(d),
    }),
    param(i + 2, {
      name: 'PHASE',
      style: 'query',
      doc: 'RUN starts the job at once; without it the job stays PENDING',
      options: [{ value: 'RUN' }],
    }),
    param(i + 2, { name: 'RUNID', style: 'query', doc: 'A label of the client\'s choice, echoed in the job' }),
    param(i + 2, {
      name: 'EXECUTIONDURATION',
      style: 'query',
      type: 'xs:int',
      default: d.executionDuration.default,
      doc: 'Wall-clock limit in seconds (0: the longest allowed)',
      ext: { 'uh:min': 0, 'uh:max': d.executionDuration.max, 'uh:unit': 's' },
    }),
    param(i + 2, { name: 'DESTRUCTION', style: 'query', type: 'xs:dateTime', doc: 'When the job and its results are deleted' }),
    el(i + 2, 'representation', { mediaType: 'multipart/form-data' }),
    el(i + 2, 'representation', { mediaType: 'application/x-www-form-urlencoded' }),
  ];
  return method(i, 'POST', 'create_job', {
    doc: `Creates a ${d.type} job`,
    request,
    response: [seeOther(i + 1, 'The new job'), response(i + 1, 400, [{ mediaType: 'text/plain' }], 'Invalid parameters')],
  });
}

function listMethod(i: number): string {
  return method(i, 'GET', 'list_jobs', {
    doc: 'The job list',
    request: [
      param(i + 2, { name: 'PHASE', style: 'query', repeating: true, doc: 'Only jobs in these phases', options: PHASES.map((value) => ({ value })) }),
      param(i + 2, { name: 'AFTER', style: 'query', type: 'xs:dateTime', doc: 'Only jobs created after this instant' }),
      param(i + 2, { name: 'LAST', style: 'query', type: 'xs:int', doc: 'Only the most recently created jobs', ext: { 'uh:min': 1 } }),
    ],
    response: [response(i + 1, 200, [{ mediaType: 'application/xml', element: 'uws:jobs' }, { mediaType: 'application/json' }])],
  });
}

function quoteResource(d: JobDescriptor, i: number): string {
  const rep: Attrs = { mediaType: 'text/plain' };
  if (d.quote !== undefined) Object.assign(rep, { id: 'quote', 'uh:default': d.quote });
  return resource(i, 'quote', [
    method(i + 1, 'GET', 'get_quote', { response: [response(i + 2, 200, [rep], 'Predicted completion instant (ISO 8601)')] }),
  ]);
}

function resultsResource(d: JobDescriptor, i: number): string {
  // resource(i) > resource {result-id} (i+1) > method (i+2) > response (i+3) > representation (i+4)
  const perResult = d.results.map((r) =>
    el(i + 4, 'representation', { mediaType: r.mediaType }, doc(i + 5, r.doc ? `${r.doc} (${r.file})` : r.file, r.id)),
  );
  return resource(i, 'results', [
    method(i + 1, 'GET', 'get_results', {
      response: [response(i + 2, 200, [{ mediaType: 'application/xml', element: 'uws:results' }])],
    }),
    resource(i + 1, '{result-id}', [
      param(i + 2, { name: 'result-id', style: 'template', required: true, options: d.results.map((r) => ({ value: r.id, doc: r.doc })) }),
      method(i + 2, 'GET', 'get_result', {
        response: [el(i + 3, 'response', { status: 200 }, [...doc(i + 4, 'The result file, one representation per result'), ...perResult])],
      }),
    ]),
  ]);
}

function jobResource(d: JobDescriptor, i: number): string {
  const j = i + 1;
  const getPost = (path: string, id: string, what: string, post?: ParamSpec) =>
    resource(j, path, [
      method(j + 1, 'GET', `get_${id}`, { response: [plainText(j + 2, what)] }),
      ...(post
        ? [method(j + 1, 'POST', `post_${id}`, { request: [param(j + 3, post)], response: [seeOther(j + 2, 'The job')] })]
        : []),
    ]);
  return resource(i, '{job-id}', [
    param(j, { name: 'job-id', style: 'template', required: true }),
    method(j, 'GET', 'get_job', {
      request: [
        param(j + 2, { name: 'WAIT', style: 'query', type: 'xs:int', doc: 'Block up to this many seconds (-1: as long as allowed) while the job is active' }),
        param(j + 2, { name: 'PHASE', style: 'query', doc: 'Wait only while the job is in this phase', options: PHASES.map((value) => ({ value })) }),
      ],
      response: [response(j + 1, 200, [{ mediaType: 'application/xml', element: 'uws:job' }, { mediaType: 'application/json' }])],
    }),
    method(j, 'DELETE', 'delete_job', { response: [seeOther(j + 1, 'The job list')] }),
    method(j, 'POST', 'post_job', {
      request: [param(j + 2, { name: 'ACTION', style: 'query', required: true, options: [{ value: 'DELETE' }] })],
      response: [seeOther(j + 1, 'The job list')],
    }),
    getPost('phase', 'phase', 'The phase', { name: 'PHASE', style: 'query', required: true, options: [{ value: 'RUN' }, { value: 'ABORT' }] }),
    getPost('executionduration', 'executionduration', 'Seconds', { name: 'EXECUTIONDURATION', style: 'query', type: 'xs:int', required: true }),
    getPost('destruction', 'destruction', 'ISO 8601 instant', { name: 'DESTRUCTION', style: 'query', type: 'xs:dateTime', required: true }),
    resource(j, 'error', [method(j + 1, 'GET', 'get_error', { response: [plainText(j + 2, 'The error detail')] })]),
    quoteResource(d, j),
    getPost('owner', 'owner', 'The owner'),
    resource(j, 'parameters', [
      method(j + 1, 'GET', 'get_parameters', {
        response: [response(j + 2, 200, [{ mediaType: 'application/xml', element: 'uws:parameters' }])],
      }),
      method(j + 1, 'POST', 'post_parameters', {
        doc: 'While PENDING: changes job parameters, named as in create_job',
        response: [seeOther(j + 2, 'The job')],
      }),
    ]),
    resultsResource(d, j),
  ]);
}

function limitAttrs(l: ResourceLimit): Attrs {
  return { default: l.default, overridable: l.overridable ? 'true' : 'false', min: l.min, max: l.max };
}

function clusterResources(r: ClusterResources, i: number): string[] {
  const children: string[] = [];
  if (r.cpus) children.push(el(i + 1, 'uh:cpus', limitAttrs(r.cpus)));
  if (r.memory) children.push(el(i + 1, 'uh:memory', limitAttrs(r.memory)));
  if (r.partition) children.push(el(i + 1, 'uh:partition', { default: r.partition.default, overridable: r.partition.overridable ? 'true' : 'false' }));
  return children.length > 0 ? [el(i, 'uh:resources', {}, children)] : [];
}

export function generateServiceWadl(d: JobDescriptor, baseUrl: string): string {
  const root = el(
    0,
    'application',
    { xmlns: WADL_NS, 'xmlns:xs': XSD_NS, 'xmlns:uh': EXT_NS, 'xmlns:uws': UWS_NS },
    [
      ...doc(1, d.description, 'description'),
      el(1, 'resources', { base: `${baseUrl}/rest/` }, [
        resource(2, d.type, [listMethod(3), createMethod(d, 3), jobResource(d, 3)], `UWS 1.1 job list of ${d.type}`),
      ]),
      ...clusterResources(d.resources, 1),
    ],
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n${root}\n`;
}
