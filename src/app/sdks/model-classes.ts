import type { PatchPoint } from './definition';

type Point = Pick<PatchPoint, 'label' | 'locate'>;

/**
 * Methods of several exported classes of one file, patched as one point (the Google SDKs send
 * from their model and chat-session classes): found when every `required` class has its methods,
 * so a layout that lost one is reported as moved; `optional` classes are patched where present.
 */
export function classesMethods(required: readonly Point[], optional: readonly Point[] = []): Point {
  return {
    label: [...required, ...optional].map((point) => point.label).join(','),
    locate(exports) {
      const found = required.map((point) => point.locate(exports));
      if (found.some((targets) => targets.length === 0)) return [];
      return [...found, ...optional.map((point) => point.locate(exports))].flat();
    },
  };
}

/**
 * The first of `known` class names on `self`'s prototype chain, else `known[0]`: a user's
 * subclass of `GenerativeModel` is named `GenerativeModel`, never after the user's class.
 */
export function knownClassName(self: unknown, known: readonly string[]): string {
  let proto: unknown = self;
  for (let depth = 0; depth < 8 && proto !== null && typeof proto === 'object'; depth++) {
    const owner = proto as { constructor?: unknown };
    if (Object.hasOwn(owner, 'constructor') && typeof owner.constructor === 'function') {
      const name = (owner.constructor as { name?: unknown }).name;
      if (typeof name === 'string' && known.includes(name)) return name;
    }
    proto = Object.getPrototypeOf(proto);
  }
  return known[0];
}
