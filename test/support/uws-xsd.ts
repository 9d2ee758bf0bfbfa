/**
 * Validate documents against the UWS 1.1 XSD offline. The copies in test/schemas/ point their imports at
 * local files, and libxmljs2 resolves those relative to `baseUrl`, so the schema loads without network
 * access and without depending on the working directory.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as libxml from 'libxmljs2';

const XSD_PATH = resolve(join(__dirname, '..', 'schemas', 'UWS-v1.1.xsd'));

let schema: libxml.Document | undefined;

function uwsSchema(): libxml.Document {
  schema ??= libxml.parseXml(readFileSync(XSD_PATH, 'utf8'), { baseUrl: XSD_PATH, nonet: true });
  return schema;
}

/** Schema (or well-formedness) errors for `xml`, one message each with its line; empty when valid. */
export function validateUws(xml: string): string[] {
  let doc: libxml.Document;
  try {
    // nonet: a document must never make the validator fetch anything.
    doc = libxml.parseXml(xml, { nonet: true });
  } catch (e) {
    return [`not well-formed: ${e instanceof Error ? e.message.trim() : String(e)}`];
  }
  if (doc.validate(uwsSchema())) return [];
  const errors = doc.validationErrors.map((e) => `line ${e.line}: ${e.message.trim()}`);
  // validate() can fail without recording an error (e.g. an unknown root element in some libxml2 builds).
  return errors.length > 0 ? errors : ['invalid against UWS-v1.1.xsd (no detail from libxml2)'];
}

/** Throws with every validation error, and the document, when `xml` is not a valid UWS document. */
export function assertValidUws(xml: string): void {
  const errors = validateUws(xml);
  if (errors.length > 0) {
    throw new Error(`invalid UWS XML:\n  ${errors.join('\n  ')}\n--- document ---\n${xml}`);
  }
}
