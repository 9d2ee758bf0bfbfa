import * as libxml from 'libxmljs2';
import type { LintSink } from './lint.message';

// libxml2 error levels: 1 warning, 2 error, 3 fatal
const XML_ERR_WARNING = 1;

/**
 * Parse untrusted XML text: no network access and no entity expansion (libxml2's default), so a plugin's WADL
 * can't make the host fetch or read anything. Reports "not well-formed" with its line and returns undefined.
 */
export function parseXmlText(xml: string, sink: LintSink): libxml.Document | undefined {
  if (xml.trim() === '') {
    sink.error(1, 'not well-formed XML: the file is empty');
    return undefined;
  }
  let doc: libxml.Document;
  try {
    // recover: collect every error instead of throwing the last one, which is usually an echo of the first
    doc = libxml.parseXml(xml, { nonet: true, recover: true });
  } catch (e) {
    const err = e as { message?: string; line?: number | null };
    sink.error(err.line ?? 1, `not well-formed XML: ${(err.message ?? String(e)).trim()}`);
    return undefined;
  }
  const firstError = doc.errors.find((e) => (e.level ?? 0) > XML_ERR_WARNING);
  if (firstError) {
    sink.error(firstError.line, `not well-formed XML: ${firstError.message.trim()}`);
    return undefined;
  }
  for (const w of doc.errors) sink.warning(w.line, `XML: ${w.message.trim()}`);
  if (!doc.root()) {
    sink.error(1, 'not well-formed XML: no root element');
    return undefined;
  }
  return doc;
}
