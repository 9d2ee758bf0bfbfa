import type { JobDescriptor } from '../descriptor/descriptor.types';
import { notFound } from '../common/domain.error';
import { JobRepository } from '../persistence/job.repository';
import { PluginCatalogue, PluginVersion } from '../plugins/plugin.catalogue';
import { compileScript } from '../rendering/script.renderer';

/**
 * The plugin version a job was created with: the catalogue's current one when unchanged, else the copy
 * stored at creation, compiled once and kept in a small cache.
 */
export class PluginVersionStore {
  private readonly cache = new Map<string, PluginVersion>();

  constructor(
    private readonly catalogue: PluginCatalogue,
    private readonly repo: JobRepository,
  ) {}

  async get(hash: string): Promise<PluginVersion> {
    for (const e of this.catalogue.list()) if (e.version?.hash === hash) return e.version;
    const hit = this.cache.get(hash);
    if (hit) return hit;
    const row = await this.repo.findPluginVersion(hash);
    if (!row) throw notFound(`The job type version ${hash.slice(0, 12)} of this job is no longer known`);
    const v: PluginVersion = {
      type: row.type,
      hash,
      descriptor: JSON.parse(row.descriptor) as JobDescriptor,
      template: row.template,
      compiled: compileScript(row.template),
    };
    if (this.cache.size > 100) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(hash, v);
    return v;
  }
}
