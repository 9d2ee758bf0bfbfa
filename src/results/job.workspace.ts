import * as fs from 'node:fs';
import * as path from 'node:path';
import { JOB_FILES } from '../execution/job-files';

export interface CollectedResult {
  id: string;
  /** Path relative to the job's work directory. */
  file: string;
  size: number;
  mimeType: string;
}

/**
 * A job's folder on the server (`DATA_DIR/jobs/<id>`): uploads before the run, the work directory during it,
 * results after. The only code that touches those files.
 */
export class JobWorkspace {
  constructor(private readonly jobsRoot: string) {}

  dirFor(jobId: string): string {
    if (!/^[A-Za-z0-9_-]+$/.test(jobId)) throw new Error(`invalid job id ${jobId}`);
    return path.join(this.jobsRoot, jobId);
  }

  async create(jobId: string): Promise<string> {
    const dir = this.dirFor(jobId);
    await fs.promises.mkdir(path.join(dir, 'inputs'), { recursive: true });
    return dir;
  }

  async remove(jobId: string): Promise<void> {
    await fs.promises.rm(this.dirFor(jobId), { recursive: true, force: true });
  }

  /** Copies a plugin's payload files (all but `exclude`) into the job folder, as the format promises. */
  async stagePayload(jobId: string, pluginDir: string, exclude: string[]): Promise<void> {
    const dir = await this.create(jobId);
    const entries = await fs.promises.readdir(pluginDir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (exclude.includes(e.name) || e.name.startsWith('.') || e.name === 'inputs') continue;
      await fs.promises.cp(path.join(pluginDir, e.name), path.join(dir, e.name), { recursive: true, dereference: false });
    }
  }

  /** Moves an uploaded temporary file in as inputs/<safeName>; returns the relative path. */
  async adoptUpload(jobId: string, tmpPath: string, safeName: string): Promise<string> {
    const dir = await this.create(jobId);
    const rel = path.join('inputs', safeName);
    await fs.promises.rename(tmpPath, path.join(dir, rel)).catch(async () => {
      await fs.promises.copyFile(tmpPath, path.join(dir, rel));
      await fs.promises.rm(tmpPath, { force: true });
    });
    return rel;
  }

  /**
   * Reads the wrapper's manifest plus stdout/stderr. `mimeOf` maps a declared result id to its MIME type.
   * Paths are re-checked here: a manifest line pointing outside the folder (a symlink game) is dropped.
   */
  async collect(jobId: string, mimeOf: (id: string) => string | undefined): Promise<CollectedResult[]> {
    const dir = this.dirFor(jobId);
    const out: CollectedResult[] = [];
    const manifest = await fs.promises.readFile(path.join(dir, JOB_FILES.manifest), 'utf8').catch(() => '');
    for (const line of manifest.split('\n')) {
      const [id, file] = line.split('\t');
      if (!id || !file) continue;
      const size = await this.safeSize(dir, file);
      const mimeType = mimeOf(id);
      if (size !== undefined && mimeType) out.push({ id, file, size, mimeType });
    }
    for (const [id, file] of [
      ['stdout', JOB_FILES.stdout],
      ['stderr', JOB_FILES.stderr],
    ] as const) {
      if (out.some((r) => r.id === id)) continue;
      const size = await this.safeSize(dir, file);
      if (size !== undefined) out.push({ id, file, size, mimeType: 'text/plain' });
    }
    return out;
  }

  /** Absolute path of a file inside the job folder, or undefined when it escapes it or is not a file. */
  async resolveFile(jobId: string, rel: string): Promise<string | undefined> {
    const dir = this.dirFor(jobId);
    // The checked real path is what gets served: a link swapped in later is not followed.
    return (await this.checked(dir, rel))?.real;
  }

  private async safeSize(dir: string, rel: string): Promise<number | undefined> {
    return (await this.checked(dir, rel))?.size;
  }

  /** The file's real path and size when it is a regular file inside the job folder, else undefined. */
  private async checked(dir: string, rel: string): Promise<{ real: string; size: number } | undefined> {
    const abs = path.resolve(dir, rel);
    if (!abs.startsWith(dir + path.sep)) return undefined;
    try {
      const real = await fs.promises.realpath(abs);
      const realDir = await fs.promises.realpath(dir);
      if (!real.startsWith(realDir + path.sep)) return undefined;
      const st = await fs.promises.stat(real);
      return st.isFile() ? { real, size: st.size } : undefined;
    } catch {
      return undefined;
    }
  }
}
