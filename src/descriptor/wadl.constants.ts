/** Names and namespaces the WADL reader relies on; shared by the parser, the schema check and the tests. */

export const WADL_NS = 'http://wadl.dev.java.net/2009/02';
export const XSD_NS = 'http://www.w3.org/2001/XMLSchema';
/** The host's own extension namespace for limits, result files and cluster resources (prefix convention `uh`). */
export const EXT_NS = 'urn:uws-host:wadl-ext:1';

/** Prefixes used in our XPath queries only; documents may bind any prefix they like. */
export const XPATH_NS = { w: WADL_NS, uh: EXT_NS };

/** UWS control parameters: posted to the job list but never job parameters. */
export const UWS_CONTROL_NAMES: ReadonlySet<string> = new Set([
  'PHASE',
  'RUNID',
  'EXECUTIONDURATION',
  'DESTRUCTION',
  'ACTION',
  'WAIT',
]);

export const RESULT_PARAM = 'result-id';
export const DURATION_PARAM = 'EXECUTIONDURATION';
export const DEFAULT_RESULT_MEDIA_TYPE = 'application/octet-stream';

/**
 * Unprefixed attributes written by the original VOPDC server's WADL files (and by our own format doc, for the
 * quote). The WADL schema refuses them; we read them anyway and only warn, so old plugins keep loading.
 */
export const LEGACY_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  param: ['choices', 'min', 'max'],
  option: ['default'],
  representation: ['default'],
};
