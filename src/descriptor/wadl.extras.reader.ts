import type { Document, Element } from 'libxmljs2';
import type { ClusterResources, JobDescriptor, ResourceLimit, ResultDescriptor } from './descriptor.types';
import type { LintSink } from './lint.message';
import { DEFAULT_RESULT_MEDIA_TYPE, EXT_NS, WADL_NS, XPATH_NS } from './wadl.constants';
import { readBoolean, readNumber } from './wadl.param.reader';
import { attrValue, childElements, docText, firstChild } from './xml.read';

/** The parts of the WADL that are not job parameters: results, execution duration, quote, cluster resources. */

/** Result files are collected from inside the job's work directory; anything that could leave it is refused. */
function unsafeResultFile(file: string): boolean {
  return file.includes('..') || file.startsWith('/') || file.startsWith('\\');
}

export function readResults(param: Element | undefined, sink: LintSink): ResultDescriptor[] {
  const options = param ? childElements(param, 'option', WADL_NS) : [];
  if (options.length === 0) {
    sink.error(param?.line() ?? 0, 'no results declared: expected a param named result-id with one <option> per result');
    return [];
  }
  const results: ResultDescriptor[] = [];
  const seen = new Set<string>();
  for (const o of options) {
    const id = attrValue(o, 'value') ?? '';
    const line = o.line();
    if (id === '') {
      sink.error(line, 'result option without a value (the result id)');
      continue;
    }
    if (seen.has(id)) sink.error(line, `result '${id}' is declared twice`);
    seen.add(id);
    // uh:file is the explicit spelling; uh:default and the legacy unprefixed default mean the same thing
    const file = attrValue(o, 'file', EXT_NS) ?? attrValue(o, 'default', EXT_NS) ?? attrValue(o, 'default');
    if (file === undefined || file.trim() === '') {
      sink.error(line, `result '${id}' names no file: add uh:file="<file name or glob>"`);
      continue;
    }
    if (unsafeResultFile(file)) {
      sink.error(line, `result '${id}': file "${file}" must be relative to the work directory (no "..", no leading "/")`);
      continue;
    }
    const r: ResultDescriptor = { id, mediaType: attrValue(o, 'mediaType') ?? DEFAULT_RESULT_MEDIA_TYPE, file };
    const doc = docText(firstChild(o, 'doc', WADL_NS));
    if (doc !== undefined) r.doc = doc;
    results.push(r);
  }
  return results;
}

function wholeSeconds(el: Element, n: number | undefined, what: string, sink: LintSink): number | undefined {
  if (n === undefined) return undefined;
  if (!Number.isInteger(n) || n < 0) {
    sink.error(el.line(), `${what} ${n} is not a whole, non-negative number of seconds`);
    return undefined;
  }
  return n;
}

export function readExecutionDuration(param: Element | undefined, sink: LintSink): JobDescriptor['executionDuration'] {
  if (!param) return {};
  const what = 'EXECUTIONDURATION';
  const def = wholeSeconds(param, readNumber(param, 'default', null, sink, what), `${what} default`, sink);
  const maxRaw = attrValue(param, 'max', EXT_NS) !== undefined
    ? readNumber(param, 'max', EXT_NS, sink, what)
    : readNumber(param, 'max', null, sink, what);
  const max = wholeSeconds(param, maxRaw, `${what} max`, sink);
  // 0 means "no limit" in UWS, so a zero maximum bounds nothing
  if (def !== undefined && max !== undefined && max > 0 && def > max) {
    sink.error(param.line(), `${what} default ${def} is above its maximum ${max}`);
  }
  const out: JobDescriptor['executionDuration'] = {};
  if (def !== undefined) out.default = def;
  if (max !== undefined) out.max = max;
  return out;
}

export function readQuote(doc: Document, sink: LintSink): number | undefined {
  const rep = doc.get<Element>('//w:representation[@id="quote"]', XPATH_NS);
  if (!rep) return undefined;
  const ns = attrValue(rep, 'default', EXT_NS) !== undefined ? EXT_NS : null;
  const n = readNumber(rep, 'default', ns, sink, 'quote');
  if (n !== undefined && n < 0) {
    sink.error(rep.line(), `quote ${n} is negative`);
    return undefined;
  }
  return n;
}

function readLimit(el: Element, numeric: boolean, sink: LintSink): ResourceLimit {
  const name = el.name();
  const limit: ResourceLimit = { overridable: readBoolean(el, 'overridable') };
  const min = readNumber(el, 'min', null, sink, `resource ${name}`);
  const max = readNumber(el, 'max', null, sink, `resource ${name}`);
  if (min !== undefined) limit.min = min;
  if (max !== undefined) limit.max = max;
  if (min !== undefined && max !== undefined && min > max) {
    sink.error(el.line(), `resource ${name}: min ${min} is greater than max ${max}`);
  }
  if (numeric) {
    const def = readNumber(el, 'default', null, sink, `resource ${name}`);
    if (def !== undefined) {
      limit.default = def;
      if ((min !== undefined && def < min) || (max !== undefined && def > max)) {
        sink.error(el.line(), `resource ${name}: default ${def} is outside its limits ${min ?? '-∞'}..${max ?? '∞'}`);
      }
    }
  } else {
    const def = attrValue(el, 'default')?.trim();
    if (def) limit.default = def;
  }
  return limit;
}

export function readClusterResources(doc: Document, sink: LintSink): ClusterResources {
  const el = doc.get<Element>('//uh:resources', XPATH_NS);
  const out: ClusterResources = {};
  if (!el) return out;
  const cpus = firstChild(el, 'cpus', EXT_NS);
  const memory = firstChild(el, 'memory', EXT_NS);
  const partition = firstChild(el, 'partition', EXT_NS);
  if (cpus) out.cpus = readLimit(cpus, true, sink);
  if (memory) out.memory = readLimit(memory, true, sink);
  if (partition) out.partition = readLimit(partition, false, sink);
  return out;
}
