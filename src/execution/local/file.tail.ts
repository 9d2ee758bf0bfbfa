import * as fs from 'node:fs';

/** The last `bytes` of a file as text ('' when it does not exist), cut at a line start where possible. */
export async function readTail(file: string, bytes: number): Promise<string> {
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(file, 'r');
    const { size } = await fh.stat();
    const start = Math.max(0, size - bytes);
    const buf = Buffer.alloc(size - start);
    await fh.read(buf, 0, buf.length, start);
    let text = buf.toString('utf8');
    if (start > 0) {
      const nl = text.indexOf('\n');
      if (nl >= 0 && nl < text.length - 1) text = text.slice(nl + 1);
    }
    return text.trimEnd();
  } catch {
    return '';
  } finally {
    await fh?.close();
  }
}
