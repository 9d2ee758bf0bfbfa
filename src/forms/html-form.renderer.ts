import Handlebars from 'handlebars';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ParamType } from '../descriptor/descriptor.types';
import { FormDescription, FormParameter, formUrls } from './form.description';

/**
 * Descriptor-driven HTML pages: the job creation form, the index of job types and error pages. The views are
 * Handlebars files in `templates/views/`, compiled in a private environment with HTML escaping on: every value
 * that comes from a WADL or a user goes through `{{…}}`; the views contain no triple-stash at all (the layout
 * wraps pages with a partial block, not with pre-rendered HTML).
 */

/** Per-response settings of a page. */
export interface PageOptions {
  /** Public base URL, no trailing slash. */
  baseUrl: string;
  /** CSP nonce for the page's one inline <style> and <script>. */
  nonce: string;
  /** The session's CSRF token: forms that post carry it as the hidden field `_csrf` (browser sessions only). */
  csrf?: string;
  /** The signed-in user, shown with a sign-out button (browser sessions only). */
  user?: string;
}

/**
 * What a form starts with instead of the job type's defaults: the values of a "run again" link's query, or a
 * PENDING job's stored values when editing it.
 */
export interface FormPrefill {
  /** Values by parameter name (any case). */
  values?: Record<string, string[]>;
  runId?: string;
  executionDuration?: string;
  /** Editing a PENDING job: the form posts its parameters to the job (urlencoded: uploads cannot change). */
  edit?: { action: string; redirect: string; jobId: string; details: string };
}

/** One job type on the index page. */
export interface JobTypeSummary {
  type: string;
  available: boolean;
  description: string | null;
  /** "file:line: severity: message" lines, for unavailable types. */
  problems: string[];
}

interface Choice {
  value: string;
  label: string;
  selected: boolean;
}

interface RadioView {
  id: string;
  value: string;
  label: string;
  checked: boolean;
}

/** Exactly one of the kind keys (number, select, radios, file, input, fixed) is set. */
interface FieldView {
  id: string;
  name: string;
  required: boolean;
  doc: string | null;
  helpId: string | null;
  hints: string[];
  unit: string | null;
  repeating: boolean;
  number?: { value: string; min: string | null; max: string | null; step: string };
  select?: { multiple: boolean; placeholder: { label: string; disabled: boolean } | null; options: Choice[] };
  radios?: RadioView[];
  file?: { multiple: boolean };
  input?: { type: 'text' | 'url'; value: string; pattern: string | null; placeholder: string | null };
  fixed?: { value: string };
}

const INTEGER_TYPES: ReadonlySet<ParamType> = new Set(['int', 'long', 'integer']);

/** A loose ISO 8601 check for the browser (the server's own check is the authority). */
const DATETIME_PATTERN = String.raw`\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+\-]\d{2}:?\d{2})?`;
const DATETIME_EXAMPLE = '2030-01-31T12:00:00Z';

const VIEW_FILES = ['layout', 'field', 'job-form', 'index', 'error'] as const;
type ViewName = (typeof VIEW_FILES)[number];

export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}

/** A number's lexical form as an HTML number input accepts it (no leading "+", no "100." …). */
function numberText(raw: string | null): string {
  if (raw === null) return '';
  const n = Number(raw.trim());
  return raw.trim() !== '' && Number.isFinite(n) ? String(n) : raw;
}

function limitsHint(p: FormParameter): string | null {
  const unit = p.unit ? ` ${p.unit}` : '';
  if (p.min !== null && p.max !== null) return `from ${p.min} to ${p.max}${unit}`;
  if (p.min !== null) return `at least ${p.min}${unit}`;
  if (p.max !== null) return `at most ${p.max}${unit}`;
  return null;
}

/** The field of one parameter; `given` values (a prefill) replace the default. */
export function fieldView(p: FormParameter, index: number, given?: string[]): FieldView {
  const id = `f${index}-${p.name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const hints: string[] = [];
  const v: FieldView = {
    id,
    name: p.name,
    required: p.required && p.fixed === null,
    doc: p.doc,
    helpId: null,
    hints,
    unit: p.unit,
    repeating: p.repeating && p.fixed === null,
  };
  if (given?.length) p = { ...p, default: given[0] };
  const def = p.default ?? '';

  if (p.fixed !== null) {
    // Not sent at all: the server applies the fixed value by itself.
    v.fixed = { value: p.fixed };
    hints.push('fixed by the service');
  } else if (p.input === 'select') {
    const choices = p.choices ?? [];
    const multiple = p.repeating;
    v.select = {
      multiple,
      // A select always has a value; an extra empty entry lets an optional parameter stay unset and makes the
      // user pick a value for a required one.
      placeholder: multiple || p.default !== null ? null : p.required ? { label: 'Choose…', disabled: true } : { label: '(not set)', disabled: false },
      options: choices.map((c) => ({
        value: c.value,
        label: c.doc ? (c.doc === c.value ? c.value : `${c.doc} (${c.value})`) : c.value,
        selected: given?.length ? given.includes(c.value) : p.default !== null && c.value === p.default,
      })),
    };
    if (multiple) hints.push('several may be selected');
  } else if (p.input === 'checkbox') {
    // A radio pair, not a checkbox + hidden "false": the request then always carries exactly one value.
    const given = p.default === null ? null : ['true', '1'].includes(p.default.trim().toLowerCase());
    const radio = (value: string, label: string, checked: boolean): RadioView => ({ id: `${id}-${value || 'unset'}`, value, label, checked });
    v.radios = [radio('true', 'yes', given === true), radio('false', 'no', given === false)];
    if (!p.required && p.default === null) v.radios.push(radio('', 'not set', true));
  } else if (p.input === 'number') {
    v.number = {
      value: numberText(p.default),
      min: p.min === null ? null : String(p.min),
      max: p.max === null ? null : String(p.max),
      step: INTEGER_TYPES.has(p.type) ? '1' : 'any',
    };
    const limits = limitsHint(p);
    if (limits) hints.push(limits);
  } else if (p.input === 'file') {
    v.file = { multiple: p.repeating };
    v.repeating = false; // one input with `multiple` takes several files
    if (p.maxSize !== null) hints.push(`up to ${formatBytes(p.maxSize)}`);
  } else if (p.input === 'url') {
    v.input = { type: 'url', value: def, pattern: p.pattern ?? 'https?://.+', placeholder: 'https://…' };
    hints.push('an http or https URL the job fetches');
  } else if (p.input === 'datetime') {
    v.input = { type: 'text', value: def, pattern: p.pattern ?? DATETIME_PATTERN, placeholder: DATETIME_EXAMPLE };
    hints.push(`ISO 8601, e.g. ${DATETIME_EXAMPLE} (UTC when no zone is given)`);
  } else {
    v.input = { type: 'text', value: def, pattern: p.pattern, placeholder: null };
    if (p.pattern !== null) hints.push(`must match ${p.pattern}`);
  }
  if (v.repeating && !v.select) hints.push('repeatable');
  if (v.doc || hints.length > 0) v.helpId = `${id}-help`;
  return v;
}

function seconds(n: number): string {
  if (n < 120) return `${n}\u00a0s`;
  if (n < 7200) return `${Math.round(n / 60)}\u00a0min`;
  return `${Math.round(n / 3600)}\u00a0h`;
}

/** A file parameter of a job being edited: its upload stays (a new file means a new job). */
function uploadedField(v: FieldView, stored: string[] | undefined): FieldView {
  const { file: _file, ...rest } = v;
  const hints = ['uploaded with the job; cannot be changed here'];
  return { ...rest, required: false, repeating: false, fixed: { value: stored?.join(', ') || '(none)' }, hints, helpId: `${v.id}-help` };
}

/** The layout's `page` object (shared with the web module's job pages). */
export function pageModel(title: string, opts: PageOptions) {
  return {
    title,
    nonce: opts.nonce,
    home: `${opts.baseUrl}/forms`,
    jobs: `${opts.baseUrl}/jobs`,
    csrf: opts.csrf,
    user: opts.user,
    signout: `${opts.baseUrl}/signout`,
  };
}

export class HtmlFormRenderer {
  private readonly hb = Handlebars.create();
  private readonly views: Record<Exclude<ViewName, 'layout' | 'field'>, Handlebars.TemplateDelegate>;

  constructor(viewsDir: string) {
    const read = (name: ViewName) => fs.readFileSync(path.join(viewsDir, `${name}.hbs`), 'utf8');
    const options: Parameters<typeof Handlebars.compile>[1] = { noEscape: false, preventIndent: true };
    this.hb.registerPartial('layout', this.hb.compile(read('layout'), options));
    this.hb.registerPartial('field', this.hb.compile(read('field'), options));
    this.views = {
      'job-form': this.hb.compile(read('job-form'), options),
      index: this.hb.compile(read('index'), options),
      error: this.hb.compile(read('error'), options),
    };
  }

  private page(title: string, opts: PageOptions, atForms = true) {
    return { ...pageModel(title, opts), atForms };
  }

  form(form: FormDescription, opts: PageOptions, prefill: FormPrefill = {}): string {
    const given = (name: string) => Object.entries(prefill.values ?? {}).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
    const edit = prefill.edit;
    const fields = form.parameters.map((p, i) => ({ p, view: edit && p.input === 'file' ? uploadedField(fieldView(p, i), given(p.name)) : fieldView(p, i, given(p.name)) }));
    const required = fields.filter((f) => f.p.required && f.p.fixed === null).map((f) => f.view);
    const optional = fields.filter((f) => !(f.p.required && f.p.fixed === null)).map((f) => f.view);
    const d = form.executionDuration;
    return this.views['job-form']({
      page: this.page(edit ? `${form.type}: edit job ${edit.jobId}` : `${form.type}: new job`, opts),
      type: form.type,
      description: form.description,
      action: edit?.action ?? form.submit.url,
      method: form.submit.method,
      enctype: edit ? 'application/x-www-form-urlencoded' : form.submit.enctype,
      edit,
      jobs: `${opts.baseUrl}/jobs`,
      runId: prefill.runId ?? '',
      urls: formUrls(opts.baseUrl, form.type),
      required,
      optional,
      // With nothing required, the options are all there is to see: show them.
      optionalOpen: required.length === 0,
      duration: { value: prefill.executionDuration ?? String(d.default), max: String(d.max), hint: `at most ${d.max} s (${seconds(d.max)}); 0 asks for the most allowed` },
      results: form.results,
      quote: form.quote === null ? null : seconds(form.quote),
    });
  }

  index(types: JobTypeSummary[], opts: PageOptions): string {
    return this.views.index({
      page: this.page('Job types', opts),
      types: types.map((t) => ({ ...t, urls: formUrls(opts.baseUrl, t.type) })),
      available: types.filter((t) => t.available).length,
    });
  }

  error(status: number, title: string, message: string, opts: PageOptions, problems: string[] = []): string {
    return this.views.error({ page: this.page(`${status} ${title}`, opts, false), status, title, message, problems });
  }
}
