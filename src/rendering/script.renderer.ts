import Handlebars from 'handlebars';
import { shellQuote } from './shell.quote';
import type { ParamType } from '../descriptor/descriptor.types';

/** A job value as the template sees it: printing it yields the quoted text; tests see the typed value. */
export class QuotedValue {
  // Private fields are invisible to templates: `{{name.typed}}` and the like print nothing raw.
  readonly #typed: unknown;
  readonly #quoted: string;
  readonly #items?: QuotedValue[];
  constructor(typed: unknown, quoted: string, items?: QuotedValue[]) {
    this.#typed = typed;
    this.#quoted = quoted;
    this.#items = items;
  }
  static typedOf(v: QuotedValue): unknown {
    return v.#typed;
  }
  /** The quoted items of a repeating value (for #each). */
  static itemsOf(v: QuotedValue): QuotedValue[] | undefined {
    return v.#items;
  }
  toString(): string {
    return this.#quoted;
  }
}

export interface TemplateValue {
  name: string;
  type: ParamType;
  repeating: boolean;
  values: (string | number | boolean)[];
  text: string[];
}

export interface TemplateJob {
  id: string;
  workdir: string;
  /** The plugin's folder: its payload files (helper programs) are run from there. */
  plugindir: string;
  /** result id → file name or glob */
  results: Record<string, string>;
}

export type CompiledScript = (context: Record<string, unknown>) => string;

function unwrap(v: unknown): unknown {
  return v instanceof QuotedValue ? QuotedValue.typedOf(v) : v;
}

function isEmpty(v: unknown): boolean {
  if (Array.isArray(v)) return v.length === 0;
  return v === false || v === 0 || v === '' || v === null || v === undefined || Number.isNaN(v);
}

/**
 * A private Handlebars environment: only the helpers defined here exist (no host code from plugins), HTML
 * escaping is off because it is wrong for shell, and strict mode makes an undeclared name an error.
 */
function sandbox(): typeof Handlebars {
  const hb = Handlebars.create();
  for (const name of Object.keys(hb.helpers)) hb.unregisterHelper(name);
  hb.registerHelper('if', function (this: unknown, cond: unknown, options: Handlebars.HelperOptions) {
    return isEmpty(unwrap(cond)) ? options.inverse(this) : options.fn(this);
  });
  hb.registerHelper('unless', function (this: unknown, cond: unknown, options: Handlebars.HelperOptions) {
    return isEmpty(unwrap(cond)) ? options.fn(this) : options.inverse(this);
  });
  hb.registerHelper('each', function (this: unknown, list: unknown, options: Handlebars.HelperOptions) {
    const items = list instanceof QuotedValue ? QuotedValue.itemsOf(list) : undefined;
    const arr: unknown[] = items ?? (Array.isArray(list) ? list : []);
    if (arr.length === 0) return options.inverse(this);
    return arr
      .map((item, index) =>
        options.fn(item, { data: { ...options.data, index, first: index === 0, last: index === arr.length - 1 } }),
      )
      .join('');
  });
  hb.registerHelper('eq', (a: unknown, b: unknown) => unwrap(a) === unwrap(b));
  hb.registerHelper('ne', (a: unknown, b: unknown) => unwrap(a) !== unwrap(b));
  hb.registerHelper('helperMissing', function (...args: unknown[]) {
    const options = args[args.length - 1] as { name?: string };
    throw new Error(`unknown helper or name '${options?.name ?? '?'}'`);
  });
  return hb;
}

const env = sandbox();

export function compileScript(text: string): CompiledScript {
  const tpl = env.compile(text, { noEscape: true, strict: true, knownHelpersOnly: false });
  return (ctx) => tpl(ctx, { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false });
}

/** Builds the template context: every parameter value quoted; a repeating one as its quoted items. */
export function scriptContext(values: TemplateValue[], job: TemplateJob): Record<string, unknown> {
  const ctx: Record<string, unknown> = Object.create(null);
  for (const v of values) {
    if (v.repeating) {
      const items = v.text.map((t, i) => new QuotedValue(v.values[i], shellQuote(t)));
      ctx[v.name] = new QuotedValue(v.values, items.map(String).join(' '), items);
    } else {
      const t = v.text[0];
      ctx[v.name] = t === undefined ? new QuotedValue(undefined, "''") : new QuotedValue(v.values[0], shellQuote(t));
    }
  }
  const results: Record<string, QuotedValue> = {};
  for (const [id, file] of Object.entries(job.results)) results[id] = new QuotedValue(file, shellQuote(file));
  ctx.job = {
    id: new QuotedValue(job.id, shellQuote(job.id)),
    workdir: new QuotedValue(job.workdir, shellQuote(job.workdir)),
    plugindir: new QuotedValue(job.plugindir, shellQuote(job.plugindir)),
    results,
  };
  return ctx;
}
