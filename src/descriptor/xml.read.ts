import type { Element, Node } from 'libxmljs2';

/**
 * Small readers over libxmljs2 elements. Element.attr(name) ignores namespaces (it would return `uh:min`
 * for `min`), so attributes are always looked up by local name AND namespace here.
 */

function isElement(node: Node): node is Element {
  return node.type() === 'element';
}

/** The attribute's value, `ns` null meaning "no namespace" (a plain, unprefixed attribute). */
export function attrValue(el: Element, local: string, ns: string | null = null): string | undefined {
  for (const a of el.attrs()) {
    if (a.name() !== local) continue;
    const href = a.namespace()?.href() ?? null;
    if (href === ns) return a.value();
  }
  return undefined;
}

/** Direct child elements with the given local name in the given namespace. */
export function childElements(el: Element, local: string, ns: string): Element[] {
  return el.childNodes().filter(
    (n): n is Element => isElement(n) && n.name() === local && n.namespace()?.href() === ns,
  );
}

export function firstChild(el: Element, local: string, ns: string): Element | undefined {
  return childElements(el, local, ns)[0];
}

export function elementNs(el: Element): string | null {
  return el.namespace()?.href() ?? null;
}

/** Human text of a `doc`-like element: nested markup flattened, whitespace collapsed for forms and errors. */
export function docText(el: Element | undefined): string | undefined {
  if (!el) return undefined;
  const text = el.text().replace(/\s+/g, ' ').trim();
  return text === '' ? undefined : text;
}

/** The namespace URI a QName prefix is bound to at this element (null prefix: the default namespace). */
export function resolvePrefix(el: Element, prefix: string | null): string | undefined {
  for (const ns of el.namespaces()) {
    if ((ns.prefix() ?? null) === prefix) return ns.href();
  }
  return undefined;
}
