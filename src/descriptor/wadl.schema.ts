import * as path from 'node:path';
import * as libxml from 'libxmljs2';
import type { LintMessage } from './descriptor.types';
import { LintSink } from './lint.message';
import { EXT_NS, LEGACY_ATTRIBUTES, WADL_NS } from './wadl.constants';
import { parseXmlText } from './xml.document';

/** W3C WADL schema check, with the host's extension namespace typed by wadl/uws-host-ext.xsd. */

/** The schema files are data shipped beside src/ (and dist/): both sit two levels below the project root. */
export const WADL_SCHEMA_DIR = path.resolve(__dirname, '../../wadl');

// One schema for both namespaces: WADL validates foreign attributes and elements "lax", so importing the
// extension's schema here is what makes libxml2 check uh:min, uh:resources and the rest.
const COMBINED_SCHEMA = `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:import namespace="${WADL_NS}" schemaLocation="wadl.xsd"/>
  <xs:import namespace="${EXT_NS}" schemaLocation="uws-host-ext.xsd"/>
</xs:schema>`;

let cachedSchema: libxml.Document | undefined;

function loadSchema(): libxml.Document {
  // baseUrl makes the relative schemaLocations (and wadl.xsd's import of xml.xsd) resolve inside wadl/
  cachedSchema ??= libxml.parseXml(COMBINED_SCHEMA, {
    nonet: true,
    baseUrl: path.join(WADL_SCHEMA_DIR, 'combined.xsd'),
  });
  return cachedSchema;
}

const HINTS: Readonly<Record<string, string>> = {
  'param@choices': 'prefer <option value="…"/> elements',
  'param@min': 'prefer uh:min',
  'param@max': 'prefer uh:max',
  'option@default': 'prefer uh:file',
  'representation@default': 'prefer uh:default',
};

const NOT_ALLOWED_RE = /^Element '\{([^}]*)\}([\w-]+)', attribute '([\w-]+)': The attribute '[\w-]+' is not allowed\./;

/** The element/attribute key of an XSD failure that only concerns a tolerated legacy attribute. */
function legacyKey(message: string): string | undefined {
  const m = NOT_ALLOWED_RE.exec(message);
  if (!m || m[1] !== WADL_NS) return undefined;
  const [, , element, attribute] = m;
  return LEGACY_ATTRIBUTES[element]?.includes(attribute) ? `${element}@${attribute}` : undefined;
}

/** libxml2 spells names as {namespace}local; show them as a plugin author writes them. */
function readable(message: string): string {
  return message
    .trim()
    .replaceAll(`{${WADL_NS}}`, '')
    .replaceAll(`{${EXT_NS}}`, 'uh:');
}

/** Schema messages for an already parsed document. */
export function validateWadlDocument(doc: libxml.Document, file: string): LintMessage[] {
  const sink = new LintSink(file);
  let schema: libxml.Document;
  try {
    schema = loadSchema();
  } catch (e) {
    sink.error(0, `cannot load the WADL schema from ${WADL_SCHEMA_DIR}: ${(e as Error).message.trim()}`);
    return sink.messages;
  }
  if (doc.validate(schema)) return sink.messages;
  for (const err of doc.validationErrors) {
    const key = legacyKey(err.message);
    if (key) {
      const [element, attribute] = key.split('@');
      sink.warning(err.line, `legacy attribute ${attribute} on <${element}> tolerated (not allowed by the WADL schema); ${HINTS[key]}`);
    } else {
      sink.error(err.line, `WADL schema: ${readable(err.message)}`);
    }
  }
  return sink.messages;
}

/** Validate WADL text against the W3C WADL schema (+ the host's extension schema). */
export function validateWadlSchema(xml: string, file: string): LintMessage[] {
  const sink = new LintSink(file);
  const doc = parseXmlText(xml, sink);
  if (!doc) return sink.messages;
  return [...sink.messages, ...validateWadlDocument(doc, file)];
}
