import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { JobDescriptor, LintMessage } from '../descriptor/descriptor.types';
import { parseWadl } from '../descriptor/wadl.parser';
import { lintTemplateVariables } from '../descriptor/template.lint';
import { compileScript, CompiledScript } from '../rendering/script.renderer';

export interface PluginVersion {
  type: string;
  /** sha256 of the WADL and the template: a job keeps the version it was created with. */
  hash: string;
  descriptor: JobDescriptor;
  template: string;
  compiled: CompiledScript;
}

export interface PluginEntry {
  type: string;
  dir: string;
  available: boolean;
  /** Present when available. */
  version?: PluginVersion;
  messages: LintMessage[];
}

const TYPE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/**
 * Reads plugin folders as data: a WADL parsed into a descriptor and a template compiled in the sandbox.
 * A broken folder is listed as unavailable with its messages; it never replaces a working version half-way.
 */
export class PluginCatalogue {
  private readonly logger = new Logger('Plugins');
  private entries = new Map<string, PluginEntry>();
  /** Last seen fingerprint of each folder, so a rescan re-parses only what changed. */
  private fingerprints = new Map<string, string>();

  constructor(private readonly pluginsDir: string) {}

  list(): PluginEntry[] {
    return [...this.entries.values()].sort((a, b) => a.type.localeCompare(b.type));
  }

  get(type: string): PluginEntry | undefined {
    return this.entries.get(type);
  }

  /** Scans the folder; returns the types that were added, changed or removed. */
  scan(): string[] {
    const changed: string[] = [];
    let names: string[] = [];
    try {
      names = fs
        .readdirSync(this.pluginsDir, { withFileTypes: true })
        .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
        .map((d) => d.name);
    } catch (e) {
      this.logger.error(`cannot read plugins folder ${this.pluginsDir}: ${(e as Error).message}`);
    }
    const seen = new Set(names);
    for (const type of [...this.entries.keys()]) {
      if (!seen.has(type)) {
        this.entries.delete(type);
        this.fingerprints.delete(type);
        this.logger.log(`plugin ${type}: removed`);
        changed.push(type);
      }
    }
    for (const type of names) {
      const fp = this.fingerprint(type);
      if (this.fingerprints.get(type) === fp) continue;
      this.fingerprints.set(type, fp);
      const entry = this.load(type);
      this.entries.set(type, entry);
      changed.push(type);
      if (entry.available) {
        this.logger.log(`plugin ${type}: available (${entry.version!.hash.slice(0, 12)})`);
      } else {
        this.logger.warn(`plugin ${type}: unavailable`);
      }
      for (const m of entry.messages) {
        const text = `${m.file}:${m.line}: ${m.severity}: ${m.message}`;
        if (m.severity === 'error') this.logger.error(text);
        else this.logger.warn(text);
      }
    }
    return changed;
  }

  private fingerprint(type: string): string {
    const dir = path.join(this.pluginsDir, type);
    const parts: string[] = [];
    for (const f of [`${type}.wadl`, `${type}.sh.hbs`]) {
      try {
        const st = fs.statSync(path.join(dir, f));
        parts.push(`${f}:${st.size}:${st.mtimeMs}`);
      } catch {
        parts.push(`${f}:-`);
      }
    }
    return parts.join('|');
  }

  private load(type: string): PluginEntry {
    const dir = path.join(this.pluginsDir, type);
    const wadlFile = path.join(dir, `${type}.wadl`);
    const tplFile = path.join(dir, `${type}.sh.hbs`);
    const entry: PluginEntry = { type, dir, available: false, messages: [] };
    const fail = (file: string, message: string) => {
      entry.messages.push({ severity: 'error', file, line: 0, message });
      return entry;
    };
    if (!TYPE_NAME.test(type)) return fail(dir, 'folder name is not a valid job type name (letters, digits, - and _)');
    let wadl: string;
    let template: string;
    try {
      wadl = fs.readFileSync(wadlFile, 'utf8');
    } catch {
      return fail(wadlFile, 'missing: a plugin needs <type>.wadl');
    }
    try {
      template = fs.readFileSync(tplFile, 'utf8');
    } catch {
      return fail(tplFile, 'missing: a plugin needs <type>.sh.hbs');
    }
    const parsed = parseWadl(wadl, { file: wadlFile, type });
    entry.messages.push(...parsed.messages);
    if (!parsed.descriptor) return entry;
    let compiled: CompiledScript;
    try {
      entry.messages.push(...lintTemplateVariables(template, parsed.descriptor, tplFile));
      compiled = compileScript(template);
    } catch (e) {
      return fail(tplFile, `template does not compile: ${(e as Error).message}`);
    }
    if (entry.messages.some((m) => m.severity === 'error')) return entry;
    const hash = createHash('sha256').update(wadl).update('\0').update(template).digest('hex');
    entry.available = true;
    entry.version = { type, hash, descriptor: parsed.descriptor, template, compiled };
    return entry;
  }
}
