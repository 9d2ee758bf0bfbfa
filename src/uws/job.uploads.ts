import { badRequest, DomainError } from '../common/domain.error';
import type { JobDescriptor } from '../descriptor/descriptor.types';
import { safeUploadName, UploadedFile } from './upload.names';

/** Maps upload fields to file parameters; returns the sanitised stored name of each upload. */
export function attachUploads(d: JobDescriptor, raw: Record<string, string[]>, uploads: UploadedFile[]): Map<UploadedFile, string> {
  const names = new Map<UploadedFile, string>();
  // A plain value for a file parameter would be used as a path on the server: only uploads are accepted.
  for (const k of Object.keys(raw)) {
    const p = d.parameters.find((x) => x.type === 'file' && x.name.toLowerCase() === k.toLowerCase());
    if (p) throw badRequest(`${p.name}: a file parameter must be uploaded as a file (multipart/form-data)`);
  }
  for (const u of uploads) {
    const p = d.parameters.find((x) => x.name.toLowerCase() === u.fieldname.toLowerCase());
    if (!p || p.type !== 'file') {
      throw badRequest(`${u.fieldname}: no file parameter of that name in job type '${d.type}'`);
    }
    if (p.maxSize !== undefined && u.size > p.maxSize) {
      throw new DomainError('PAYLOAD_TOO_LARGE', `${p.name}: upload of ${u.size} bytes exceeds the maximum ${p.maxSize}`);
    }
    let name = safeUploadName(u.originalname, p.name);
    // Two uploads with the same name (a repeating parameter) must not overwrite each other.
    if ([...names.values()].includes(name)) name = `${names.size}-${name}`;
    names.set(u, name);
    // Several uploads for one parameter are several values: the validator refuses them unless repeating.
    (raw[p.name] ??= []).push(name);
  }
  return names;
}
