import type { SurfaceMethod } from './surface';

/**
 * The public methods of a client that is a tree of plain classes (Speakeasy, Fern, @google/genai,
 * the AWS aggregated client): every function on an object's prototype chain or own properties,
 * and every sub-client reached through a property or getter, walked as a user could call them.
 * Names starting with `_` or ending with `$` are the SDKs' internals.
 */
const BUILTIN_PROTOTYPES = new Set<unknown>([Object.prototype, Function.prototype, Array.prototype]);

function isInternal(name: string): boolean {
  return name === 'constructor' || name.startsWith('_') || name.endsWith('$');
}

function propertyNames(owner: object): string[] {
  const names = new Set<string>();
  for (
    let p: object | null = owner;
    p && !BUILTIN_PROTOTYPES.has(p);
    p = Object.getPrototypeOf(p) as object | null
  ) {
    for (const name of Object.getOwnPropertyNames(p)) if (!isInternal(name)) names.add(name);
  }
  return [...names];
}

/** An SDK object worth walking into: an instance of one of its classes, not data or a builtin. */
function isSubClient(value: unknown): value is object {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto === null || proto === Object.prototype) return false;
  return !(value instanceof Map || value instanceof Set || value instanceof Promise || value instanceof URL);
}

export function objectSurface(
  root: object,
  options: { skip?: (name: string) => boolean; depth?: number } = {},
) {
  const found: SurfaceMethod[] = [];
  const seen = new Set<object>();
  const walk = (owner: object, pathNames: string[], depth: number) => {
    if (seen.has(owner)) return;
    seen.add(owner);
    for (const key of propertyNames(owner)) {
      const names = [...pathNames, key];
      if (options.skip?.(names.join('.'))) continue;
      let value: unknown;
      try {
        value = (owner as Record<string, unknown>)[key];
      } catch {
        continue; // a getter that needs arguments or state the walk has not given
      }
      if (typeof value === 'function') {
        found.push({ name: names.join('.'), call: (client, args) => callAt(client, names, args) });
      } else if (isSubClient(value) && depth < (options.depth ?? 4)) {
        walk(value, names, depth + 1);
      }
    }
  };
  walk(root, [], 0);
  return found;
}

/** Calls the method at `names` on a fresh client, reading each sub-client as a user would. */
export function callAt(client: object, names: string[], args: unknown[]): unknown {
  let target = client as Record<string, unknown>;
  for (const name of names.slice(0, -1)) target = target[name] as Record<string, unknown>;
  return (target[names[names.length - 1]] as (...a: unknown[]) => unknown).apply(target, args);
}

/** A zod issue, as Speakeasy's SDKValidationError carries them (zod 3 and 4). */
interface Issue {
  code?: string;
  path?: Array<string | number>;
  expected?: string;
  values?: unknown[];
  options?: unknown[];
}

/** The issues behind a validation error, wherever the SDK put them. */
export function validationIssues(error: unknown): Issue[] {
  const e = error as { cause?: { issues?: unknown }; issues?: unknown; rawMessage?: unknown } | null;
  const issues = e?.cause?.issues ?? e?.issues;
  return Array.isArray(issues) ? (issues as Issue[]) : [];
}

function placeholder(issue: Issue): unknown {
  const choices = issue.values ?? issue.options;
  if (Array.isArray(choices) && choices.length > 0) return choices[0];
  switch (issue.expected) {
    case 'number':
    case 'int':
    case 'bigint':
      return 1;
    case 'boolean':
      return false;
    case 'array':
      return [];
    case 'object':
    case 'record':
    case 'map':
      return {};
    case 'date':
      return new Date(0);
    default:
      return 'id_1';
  }
}

/**
 * Fills the fields a validation error names as missing or wrong into the request (the first
 * argument), as a user reading the error would: returns the new arguments, or undefined when
 * the error names nothing it can fill.
 */
export function fillFromIssues(args: unknown[], error: unknown): unknown[] | undefined {
  const issues = validationIssues(error).filter((i) => Array.isArray(i.path) && i.path.length > 0);
  if (issues.length === 0) return undefined;
  const request = (args[0] !== null && typeof args[0] === 'object' ? structuredClone(args[0]) : {}) as Record<
    string,
    unknown
  >;
  for (const issue of issues) {
    const path = issue.path as Array<string | number>;
    let target: Record<string | number, unknown> = request;
    for (const key of path.slice(0, -1)) {
      if (target[key] === null || typeof target[key] !== 'object') target[key] = {};
      target = target[key] as Record<string | number, unknown>;
    }
    target[path[path.length - 1]] = placeholder(issue);
  }
  return [request, ...args.slice(1)];
}

/** Fern's serialization errors (cohere-ai): `{ path, message: 'Missing required key "text"' }`. */
const FERN_EXPECTED: Array<[RegExp, unknown]> = [
  [/Expected (list|array)/, []],
  [/Expected object/, {}],
  [/Expected number/, 1],
  [/Expected boolean/, false],
  [/Expected string/, 'id_1'],
];

/** fillFromIssues for Fern: the same fields, read from its error messages. */
export function fillFromFernErrors(args: unknown[], error: unknown): unknown[] | undefined {
  const errors = (error as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors)) return undefined;
  const issues: Issue[] = [];
  for (const { path, message } of errors as Array<{ path?: string[]; message?: string }>) {
    const missing = /Missing required key "([^"]+)"/.exec(message ?? '');
    if (missing) {
      // A wrong type is reported without its key: a plural name gets a list from the start.
      const key = missing[1];
      issues.push({ path: [...(path ?? []), key], values: key.endsWith('s') ? [[]] : undefined });
      continue;
    }
    const expected = FERN_EXPECTED.find(([pattern]) => pattern.test(message ?? ''));
    const oneOf = /Expected enum\. Received .*?; allowed values: "([^"]+)"/.exec(message ?? '');
    if (path?.length && oneOf) issues.push({ path, values: [oneOf[1]] });
    else if (path?.length && expected) issues.push({ path, values: [expected[1]] });
  }
  return fillFromIssues(args, { issues });
}
