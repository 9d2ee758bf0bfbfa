import type { Element } from 'libxmljs2';
import type { ParamChoice, ParamDescriptor, ParamType } from './descriptor.types';
import type { LintSink } from './lint.message';
import { EXT_NS, WADL_NS, XSD_NS } from './wadl.constants';
import { compilePattern, convertValue, isNumericType } from './value.convert';
import { attrValue, childElements, docText, firstChild, resolvePrefix } from './xml.read';

/** One `<param>` of the job list's POST request → a ParamDescriptor, with its problems reported to the sink. */

const XSD_TYPES: ReadonlySet<string> = new Set([
  'string', 'int', 'long', 'integer', 'double', 'float', 'boolean', 'dateTime', 'anyURI',
]);

/** xs:boolean's lexical space, as WADL's schema types required/repeating. */
export function readBoolean(el: Element, local: string): boolean {
  const v = attrValue(el, local)?.trim();
  return v === 'true' || v === '1';
}

/** A numeric attribute; reports and returns undefined when present but not a finite number. */
export function readNumber(el: Element, local: string, ns: string | null, sink: LintSink, what: string): number | undefined {
  const raw = attrValue(el, local, ns);
  if (raw === undefined) return undefined;
  const n = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(n)) {
    sink.error(el.line(), `${what}: ${local}="${raw}" is not a number`);
    return undefined;
  }
  return n;
}

function resolveType(el: Element, name: string, sink: LintSink): ParamType | undefined {
  const raw = attrValue(el, 'type')?.trim();
  if (raw === undefined || raw === '') return 'string';
  const colon = raw.indexOf(':');
  if (colon < 0) {
    if (raw === 'file') return 'file';
    if (XSD_TYPES.has(raw)) {
      sink.warning(el.line(), `param '${name}': unprefixed type "${raw}" tolerated (legacy); write xs:${raw}`);
      return raw as ParamType;
    }
  } else {
    const prefix = raw.slice(0, colon);
    const local = raw.slice(colon + 1);
    if (resolvePrefix(el, prefix) === XSD_NS && XSD_TYPES.has(local)) return local as ParamType;
  }
  sink.error(el.line(), `param '${name}': unknown type "${raw}" (expected xs:string, xs:int, xs:long, ` +
    'xs:integer, xs:double, xs:float, xs:boolean, xs:dateTime, xs:anyURI or file)');
  return undefined;
}

function readChoices(el: Element, name: string, sink: LintSink): ParamChoice[] | undefined {
  const options = childElements(el, 'option', WADL_NS).map((o): ParamChoice => {
    const doc = docText(firstChild(o, 'doc', WADL_NS));
    return doc === undefined ? { value: attrValue(o, 'value') ?? '' } : { value: attrValue(o, 'value') ?? '', doc };
  });
  // The schema check already warns that the legacy attribute is tolerated; only the conflict is news here.
  const legacy = attrValue(el, 'choices');
  if (options.length > 0) {
    if (legacy !== undefined) {
      sink.warning(el.line(), `param '${name}': both <option> elements and choices="${legacy}"; the options are used`);
    }
    return options;
  }
  if (legacy === undefined) return undefined;
  const values = legacy.split('|').map((v) => v.trim()).filter((v) => v !== '');
  return values.length > 0 ? values.map((value) => ({ value })) : undefined;
}

function readPattern(el: Element, name: string, sink: LintSink): string | undefined {
  const pattern = attrValue(el, 'pattern', EXT_NS);
  if (pattern === undefined) return undefined;
  try {
    compilePattern(pattern);
  } catch (e) {
    sink.error(el.line(), `param '${name}': pattern "${pattern}" is not a valid regular expression (${(e as Error).message})`);
    return undefined;
  }
  return pattern;
}

function readMaxSize(el: Element, name: string, type: ParamType, sink: LintSink): number | undefined {
  const raw = attrValue(el, 'maxSize', EXT_NS);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(Number(raw))) {
    sink.error(el.line(), `param '${name}': maxSize="${raw}" is not a whole number of bytes`);
    return undefined;
  }
  if (type !== 'file') sink.warning(el.line(), `param '${name}': maxSize only applies to file parameters; ignored`);
  return Number(raw);
}

/**
 * A default or fixed value must itself be acceptable input, or every job relying on it would be refused
 * (or worse, run with a value the user could never have typed).
 */
function checkOwnValue(p: ParamDescriptor, label: 'default' | 'fixed', raw: string, sink: LintSink): void {
  const where = `param '${p.name}': ${label} "${raw}"`;
  const converted = convertValue(p.type, raw);
  if (!converted.ok) {
    const why = converted.reason === undefined ? '' : ` (${converted.reason})`;
    sink.error(p.line, `${where} is not a valid ${p.type}${why}`);
    return;
  }
  if (p.choices && !p.choices.some((c) => c.value === raw)) {
    sink.error(p.line, `${where} is not one of its choices ${p.choices.map((c) => c.value).join(', ')}`);
  }
  if (typeof converted.value === 'number') {
    if (p.min !== undefined && converted.value < p.min) sink.error(p.line, `${where} is below its minimum ${p.min}`);
    if (p.max !== undefined && converted.value > p.max) sink.error(p.line, `${where} is above its maximum ${p.max}`);
  }
  if (p.pattern !== undefined && !compilePattern(p.pattern).test(raw)) {
    sink.error(p.line, `${where} does not match its pattern ${p.pattern}`);
  }
}

/** Extension attribute first, then the legacy unprefixed one (its warning comes from the schema check). */
function readLimit(el: Element, local: 'min' | 'max', name: string, sink: LintSink): number | undefined {
  const ext = readNumber(el, local, EXT_NS, sink, `param '${name}'`);
  if (ext !== undefined || attrValue(el, local, EXT_NS) !== undefined) return ext;
  return readNumber(el, local, null, sink, `param '${name}'`);
}

export function readParam(el: Element, name: string, sink: LintSink): ParamDescriptor | undefined {
  const type = resolveType(el, name, sink);
  if (type === undefined) return undefined;
  const p: ParamDescriptor = {
    name,
    type,
    required: readBoolean(el, 'required'),
    repeating: readBoolean(el, 'repeating'),
    line: el.line(),
  };
  const optional: Partial<ParamDescriptor> = {
    default: attrValue(el, 'default'),
    fixed: attrValue(el, 'fixed'),
    choices: readChoices(el, name, sink),
    min: readLimit(el, 'min', name, sink),
    max: readLimit(el, 'max', name, sink),
    unit: attrValue(el, 'unit', EXT_NS),
    pattern: readPattern(el, name, sink),
    maxSize: readMaxSize(el, name, type, sink),
    doc: docText(firstChild(el, 'doc', WADL_NS)),
  };
  // Keep the descriptor free of undefined-valued keys: it is compared and serialised as plain data.
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) Object.assign(p, { [k]: v });

  if ((p.min !== undefined || p.max !== undefined) && !isNumericType(type)) {
    sink.warning(p.line, `param '${name}': min/max only apply to numeric types; ignored for ${type}`);
  }
  if (p.min !== undefined && p.max !== undefined && p.min > p.max) {
    sink.error(p.line, `param '${name}': min ${p.min} is greater than max ${p.max}`);
  }
  if (p.default !== undefined) checkOwnValue(p, 'default', p.default, sink);
  if (p.fixed !== undefined) checkOwnValue(p, 'fixed', p.fixed, sink);
  return p;
}
