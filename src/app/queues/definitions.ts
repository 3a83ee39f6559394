/**
 * Job queues whose jobs run with their enqueuer's attested flag (README: Where the attested flag
 * flows). A queue starts a waiting job from the continuation of the job that finished before it,
 * so without this the job ran with that job's flag. One entry per library: where the app hands
 * it a job, found by shape (not by version), so a version that moves it is warned about.
 */
export type EnqueuePoint =
  /** An export (`default`: the module itself in CommonJS) returns the function jobs are passed to. */
  | { returnedBy: string }
  /** Methods of an exported class take a job as their first argument. */
  | { methodsOf: string; methods: string[] };

export interface QueueDefinition {
  module: string;
  enqueue: EnqueuePoint;
}

export const QUEUE_DEFINITIONS: QueueDefinition[] = [
  // pLimit(n) returns limit(job, ...args). (limit.map in 7.x enqueues through the same closure,
  // where 7.x runs a job in its enqueuer's context already.)
  { module: 'p-limit', enqueue: { returnedBy: 'default' } },
  // addAll() enqueues each job through add(), in 6.x to 9.x.
  { module: 'p-queue', enqueue: { methodsOf: 'default', methods: ['add'] } },
];
