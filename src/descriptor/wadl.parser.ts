import type { Document, Element } from 'libxmljs2';
import type { JobDescriptor, ParamDescriptor, ParseOutcome } from './descriptor.types';
import { LintSink } from './lint.message';
import { DURATION_PARAM, RESULT_PARAM, UWS_CONTROL_NAMES, WADL_NS, XPATH_NS } from './wadl.constants';
import { readClusterResources, readExecutionDuration, readQuote, readResults } from './wadl.extras.reader';
import { readParam } from './wadl.param.reader';
import { validateWadlDocument } from './wadl.schema';
import { attrValue, childElements, docText, elementNs } from './xml.read';
import { parseXmlText } from './xml.document';

/**
 * A plugin's WADL text → JobDescriptor. The WADL may describe a whole UWS job list; only the parts listed in
 * docs/wadl-plugins.md are read. Any error-severity message withholds the descriptor, so that a broken plugin
 * is never half-registered.
 */

function readDescription(root: Element): string {
  const docs = childElements(root, 'doc', WADL_NS);
  const chosen = docs.find((d) => attrValue(d, 'title') === 'description') ?? docs[0];
  return docText(chosen) ?? '';
}

const trimSlashes = (p: string): string => p.replace(/^\/+|\/+$/g, '');

function selectResource(root: Element, type: string, sink: LintSink): Element | undefined {
  const resources = root.find<Element>('w:resources/w:resource', XPATH_NS);
  const match = resources.find((r) => trimSlashes(attrValue(r, 'path') ?? '') === type) ?? resources[0];
  if (!match) sink.error(root.line(), 'no <resources><resource> describes the job list');
  return match;
}

/** The POST method's request params: the job creation form. */
function requestParams(resource: Element, sink: LintSink): Element[] {
  const post = resource
    .find<Element>('w:method[@name="POST"]', XPATH_NS)
    .find((m) => m.get('w:request', XPATH_NS) !== null);
  if (!post) {
    sink.error(resource.line(), `resource "${attrValue(resource, 'path') ?? ''}" has no POST method with a <request>`);
    return [];
  }
  return post.find<Element>('w:request/w:param', XPATH_NS);
}

interface ParamSections {
  parameters: ParamDescriptor[];
  results?: Element;
  duration?: Element;
}

function readParams(params: Element[], sink: LintSink): ParamSections {
  const out: ParamSections = { parameters: [] };
  const seen = new Map<string, number>();
  for (const el of params) {
    const name = attrValue(el, 'name')?.trim();
    if (!name) {
      if (attrValue(el, 'href') !== undefined) sink.warning(el.line(), 'param references (href) are not supported; ignored');
      else sink.error(el.line(), 'param without a name');
      continue;
    }
    const upper = name.toUpperCase();
    if (upper === DURATION_PARAM) out.duration ??= el;
    if (name.toLowerCase() === RESULT_PARAM) out.results ??= el;
    if (UWS_CONTROL_NAMES.has(upper) || name.toLowerCase() === RESULT_PARAM) continue;

    // Clients may send any case, so two spellings of one name could never be told apart
    const key = name.toLowerCase();
    const previous = seen.get(key);
    if (previous !== undefined) {
      sink.error(el.line(), `duplicate parameter '${name}' (names are case-insensitive; first declared on line ${previous})`);
      continue;
    }
    seen.set(key, el.line());
    const p = readParam(el, name, sink);
    if (p) out.parameters.push(p);
  }
  return out;
}

/** EXECUTIONDURATION may sit outside the POST request in whole-job-list WADLs (e.g. on the phase resource). */
function findDurationAnywhere(doc: Document): Element | undefined {
  return doc.find<Element>('//w:param', XPATH_NS).find((p) => attrValue(p, 'name')?.trim().toUpperCase() === DURATION_PARAM);
}

export function parseWadl(xml: string, opts: { file: string; type: string }): ParseOutcome {
  const sink = new LintSink(opts.file);
  const doc = parseXmlText(xml, sink);
  const root = doc?.root();
  if (!doc || !root) return { messages: sink.messages };
  if (root.name() !== 'application' || elementNs(root) !== WADL_NS) {
    sink.error(root.line(), `root element must be <application> in namespace ${WADL_NS}, found <${root.name()}>` +
      ` in ${elementNs(root) ?? 'no namespace'}`);
    return { messages: sink.messages };
  }
  sink.messages.push(...validateWadlDocument(doc, opts.file));

  const resource = selectResource(root, opts.type, sink);
  const sections = readParams(resource ? requestParams(resource, sink) : [], sink);
  const descriptor: JobDescriptor = {
    type: opts.type,
    description: readDescription(root),
    parameters: sections.parameters,
    results: readResults(sections.results, sink),
    executionDuration: readExecutionDuration(sections.duration ?? findDurationAnywhere(doc), sink),
    resources: readClusterResources(doc, sink),
  };
  const quote = readQuote(doc, sink);
  if (quote !== undefined) descriptor.quote = quote;

  const messages = [...sink.messages].sort((a, b) => a.line - b.line);
  return sink.hasErrors ? { messages } : { descriptor, messages };
}
