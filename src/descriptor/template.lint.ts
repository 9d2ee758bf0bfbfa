import Handlebars from 'handlebars';
import type { JobDescriptor, LintMessage } from './descriptor.types';
import { LintSink } from './lint.message';

/**
 * Static check of a plugin's script template against its descriptor. The renderer runs Handlebars in strict
 * mode, so a misspelt name would only fail when a job is started; catching it at load time keeps a broken
 * plugin from ever being offered.
 */

type AstNode = hbs.AST.Node;
type Path = hbs.AST.PathExpression;

/** The host's helper whitelist, as far as templates may name them. No `lookup`: names must be static. */
export const TEMPLATE_HELPERS: ReadonlySet<string> = new Set(['if', 'unless', 'each', 'eq', 'ne']);
const DATA_VARIABLES: ReadonlySet<string> = new Set(['index', 'key', 'first', 'last']);

interface LintContext {
  sink: LintSink;
  params: ReadonlySet<string>;
  results: ReadonlySet<string>;
  /** Lower-cased parameter name → declared spelling, to suggest the right case. */
  folded: ReadonlyMap<string, string>;
}

function checkJobPath(p: Path, ctx: LintContext): void {
  const [, field, id, ...rest] = p.parts;
  const ok =
    ((field === 'id' || field === 'workdir' || field === 'plugindir') && id === undefined) ||
    (field === 'results' && id !== undefined && ctx.results.has(id) && rest.length === 0);
  if (!ok) {
    const declared = [...ctx.results].map((r) => `job.results.${r}`).join(', ');
    ctx.sink.error(p.loc.start.line, `unknown name '${p.original}': job offers job.id, job.workdir, job.plugindir and ${declared || 'no results'}`);
  }
}

function checkPath(p: Path, ctx: LintContext, scope: ReadonlySet<string>): void {
  const line = p.loc.start.line;
  if (p.data) {
    if (!DATA_VARIABLES.has(p.parts[0] ?? '')) {
      ctx.sink.error(line, `unknown data variable '${p.original}' (allowed: @index, @key, @first, @last)`);
    }
    return;
  }
  // `this` is the current #each item: the item itself, never a property of it (which could be unquoted).
  if (/^(this([./]|$)|\.\/)/.test(p.original)) {
    if (p.parts.length > 0) ctx.sink.error(line, `'${p.original}': only '{{this}}' itself may be used inside #each`);
    return;
  }
  const first = p.parts[0] ?? '';
  if (scope.has(first) || ctx.params.has(first)) {
    // A value prints quoted as a whole; a path into it (name.x) is refused.
    if (p.parts.length > 1) ctx.sink.error(line, `'${p.original}': a parameter is used as a whole, not through a property`);
    return;
  }
  if (TEMPLATE_HELPERS.has(first) && p.parts.length === 1) return;
  if (first === 'job') return checkJobPath(p, ctx);
  const suggestion = ctx.folded.get(first.toLowerCase());
  const hint = suggestion ? `; did you mean '${suggestion}'? (names are case-sensitive)` : '';
  ctx.sink.error(line, `unknown name '${p.original}': not a parameter of this job type${hint}`);
}

function walkAll(nodes: readonly AstNode[] | undefined, ctx: LintContext, scope: ReadonlySet<string>): void {
  for (const n of nodes ?? []) walk(n, ctx, scope);
}

function walkCall(node: hbs.AST.MustacheStatement | hbs.AST.SubExpression | hbs.AST.BlockStatement, ctx: LintContext, scope: ReadonlySet<string>): void {
  walk(node.path, ctx, scope);
  walkAll(node.params, ctx, scope);
  walkAll(node.hash?.pairs.map((pair) => pair.value), ctx, scope);
}

function walk(node: AstNode, ctx: LintContext, scope: ReadonlySet<string>): void {
  switch (node.type) {
    case 'Program':
      return walkAll((node as hbs.AST.Program).body, ctx, scope);
    case 'MustacheStatement':
    case 'SubExpression':
      return walkCall(node as hbs.AST.MustacheStatement, ctx, scope);
    case 'BlockStatement': {
      const block = node as hbs.AST.BlockStatement;
      walkCall(block, ctx, scope);
      // `{{#each items as |item|}}` brings `item` into scope for the block body only
      const inner = new Set([...scope, ...(block.program?.blockParams ?? [])]);
      if (block.program) walk(block.program, ctx, inner);
      if (block.inverse) walk(block.inverse, ctx, scope);
      return;
    }
    case 'PathExpression':
      return checkPath(node as Path, ctx, scope);
    case 'PartialStatement':
    case 'PartialBlockStatement':
      return ctx.sink.error(node.loc.start.line, 'partials are not available in plugin templates');
    case 'Decorator':
    case 'DecoratorBlock':
      return ctx.sink.error(node.loc.start.line, 'decorators are not available in plugin templates');
    default:
      // content, comments and literals name nothing
      return;
  }
}

function parseErrorLine(e: unknown): number {
  const err = e as { lineNumber?: number; message?: string };
  if (typeof err.lineNumber === 'number') return err.lineNumber;
  const m = /line (\d+)/.exec(err.message ?? '');
  return m ? Number(m[1]) : 0;
}

export function lintTemplateVariables(template: string, descriptor: JobDescriptor, file: string): LintMessage[] {
  const sink = new LintSink(file);
  let ast: hbs.AST.Program;
  try {
    ast = Handlebars.parse(template);
  } catch (e) {
    sink.error(parseErrorLine(e), `template does not parse: ${(e as Error).message.split('\n')[0]}`);
    return sink.messages;
  }
  const names = descriptor.parameters.map((p) => p.name);
  const ctx: LintContext = {
    sink,
    params: new Set(names),
    results: new Set(descriptor.results.map((r) => r.id)),
    folded: new Map(names.map((n) => [n.toLowerCase(), n])),
  };
  walk(ast, ctx, new Set());
  return sink.messages;
}
