import { InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import { warnGuardProblem } from '../warnings';
import { enqueueCarryingFlag, factoryCarryingFlag } from './carry-flag';
import { QUEUE_DEFINITIONS, type EnqueuePoint, type QueueDefinition } from './definitions';

type AnyFunction = (...args: unknown[]) => unknown;

/**
 * The module hooks for the queues of QUEUE_DEFINITIONS, for CommonJS and ES modules alike (the
 * export is read from the module's exports or its namespace). No SDK semantics: nothing is
 * reported about a queue, only its jobs' flag is carried.
 */
export function queueModuleDefinitions(): InstrumentationNodeModuleDefinition[] {
  return QUEUE_DEFINITIONS.map(
    (definition) =>
      new InstrumentationNodeModuleDefinition(
        definition.module,
        ['*'],
        (exports: unknown, version?: string) => hookQueue(definition, exports, version ?? 'unknown'),
      ),
  );
}

/** The bare names the ES module loader must hook (register.ts's include list). */
export function queueModuleNames(): string[] {
  return QUEUE_DEFINITIONS.map((definition) => definition.module);
}

function hookQueue(definition: QueueDefinition, exports: unknown, version: string): unknown {
  try {
    const hooked = hookEnqueuePoint(definition.enqueue, exports);
    if (hooked !== undefined) return hooked;
  } catch {
    // Frozen exports or a read-only method: reported as not hooked, below.
  }
  warnGuardProblem(
    'MIMA_GUARD_QUEUE_UNHOOKED',
    `${definition.module} ${version} does not have ${describe(definition.enqueue)} where the guard looks ` +
      `for it: its jobs run with the attested flag of the job that ran before them, not of the code ` +
      `that queued them (bind each job to its caller, or attest the job itself)`,
  );
  return exports;
}

/** The exports the app gets, with the point hooked; undefined when the point is not there. */
function hookEnqueuePoint(point: EnqueuePoint, exports: unknown): unknown {
  if ('returnedBy' in point) {
    // CommonJS `module.exports = pLimit`: the module is the default export.
    if (point.returnedBy === 'default' && typeof exports === 'function') {
      return factoryCarryingFlag(exports as AnyFunction);
    }
    const owner = exports as Record<string, unknown> | null;
    const factory = owner?.[point.returnedBy];
    if (typeof factory !== 'function') return undefined;
    // An ES module namespace from import-in-the-middle takes the assignment.
    owner![point.returnedBy] = factoryCarryingFlag(factory as AnyFunction);
    return exports;
  }
  // An ES module's namespace of a CommonJS module has its module.exports as default (p-queue 6).
  const prototype = [exports, (exports as { default?: unknown } | null)?.default]
    .map((owner) => prototypeOf((owner as Record<string, unknown> | null)?.[point.methodsOf]))
    .find((candidate) => point.methods.every((method) => typeof candidate?.[method] === 'function'));
  if (prototype === undefined) return undefined;
  for (const method of point.methods) {
    prototype[method] = enqueueCarryingFlag(prototype[method] as AnyFunction);
  }
  return exports;
}

function prototypeOf(exported: unknown): Record<string, unknown> | undefined {
  return typeof exported === 'function' ? (exported.prototype as Record<string, unknown>) : undefined;
}

function describe(point: EnqueuePoint): string {
  return 'returnedBy' in point
    ? `the function its ${point.returnedBy} export returns`
    : `${point.methods.join(', ')} on its ${point.methodsOf} export's prototype`;
}
