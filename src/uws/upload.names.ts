import * as path from 'node:path';

export interface UploadedFile {
  fieldname: string;
  originalname: string;
  /** Temporary file written by the multipart parser. */
  path: string;
  size: number;
}

/**
 * A stored upload's name: the client's base name reduced to a safe character set, so no path traversal,
 * no hidden file, no shell-significant characters; falls back to the parameter's name.
 */
export function safeUploadName(original: string, paramName: string): string {
  const base = path.basename(original.replace(/\\/g, '/'));
  let name = base.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[.-]+/, '').slice(0, 100);
  if (!name || name === '.' || name === '..') name = paramName.replace(/[^A-Za-z0-9_-]/g, '_') || 'upload';
  return name;
}
