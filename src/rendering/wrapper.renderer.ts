import * as fs from 'node:fs';
import * as path from 'node:path';
import { compileScript, CompiledScript, QuotedValue } from './script.renderer';
import { shellQuote } from './shell.quote';

export interface WrapperInput {
  jobId: string;
  workdir: string;
  callbackUrl?: string;
  token?: string;
  /** Declared results: id and file name or glob. */
  results: { id: string; pattern: string }[];
  /** Scheduler directive arguments built by the host (e.g. `--time=10`); empty for local runs. */
  sbatch: string[];
}

const SAFE_ID = /^[A-Za-z0-9_.-]+$/;
const SAFE_PATTERN = /^[^\t\n\r\0]+$/;

/** Renders the host's own wrapper (templates/wrapper.sh.hbs) around a job body. */
export class WrapperRenderer {
  private compiled?: CompiledScript;

  constructor(private readonly templatesDir: string) {}

  private template(): CompiledScript {
    this.compiled ??= compileScript(fs.readFileSync(path.join(this.templatesDir, 'wrapper.sh.hbs'), 'utf8'));
    return this.compiled;
  }

  render(input: WrapperInput): string {
    for (const r of input.results) {
      if (!SAFE_ID.test(r.id) || !SAFE_PATTERN.test(r.pattern)) {
        throw new Error(`result '${r.id}' has an id or file pattern the wrapper cannot carry`);
      }
    }
    for (const line of input.sbatch) {
      if (/[\n\r\0]/.test(line)) throw new Error('an #SBATCH argument may not contain a line break');
    }
    const q = (v: string) => new QuotedValue(v, shellQuote(v));
    return this.template()({
      job: { id: q(input.jobId), workdir: q(input.workdir) },
      callback: { url: q(input.callbackUrl ?? ''), token: q(input.token ?? '') },
      results: input.results,
      sbatch: input.sbatch,
    });
  }
}
