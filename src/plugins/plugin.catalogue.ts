import { Logger } from '@nestjs/common';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { JobTypeSwitch } from '../common/job-type-switch';
import { loadPlugin, PluginEntry, PluginVersion } from './plugin.loader';

export type { PluginEntry, PluginVersion };


/**
 * Reads plugin folders as data: a WADL parsed into a descriptor and a template compiled in the sandbox.
 * A broken folder is listed as unavailable with its messages; it never replaces a working version half-way.
 */
export class PluginCatalogue implements JobTypeSwitch {
  private readonly logger = new Logger('Plugins');
  /** Types an administrator took out of service (in memory: a restart puts them back). */
  private readonly disabledTypes = new Set<string>();
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

  setDisabled(type: string, disabled: boolean): boolean {
    if (!this.entries.has(type)) return false;
    if (disabled) this.disabledTypes.add(type);
    else this.disabledTypes.delete(type);
    this.logger.log(`plugin ${type}: ${disabled ? 'disabled' : 'enabled'} by an administrator`);
    return true;
  }

  isDisabled(type: string): boolean {
    return this.disabledTypes.has(type);
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
    return loadPlugin(path.join(this.pluginsDir, type), type);
  }
}
