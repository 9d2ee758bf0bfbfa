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

/** Reads one plugin folder as data: parse and lint the WADL, lint and compile the template. Never throws. */
export function loadPlugin(dir: string, type: string): PluginEntry {
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
