import * as diagnosticsChannel from 'node:diagnostics_channel';
import { satisfiesRange } from '../version-range';
import { isAttestedOrCoveredRequest, uncoveredCallsRan } from '../attestation';
import { activeGuard } from '../guard';
import { GEN_AI_OPERATION_UNKNOWN } from '../semconv';
import { httpAuthority, undiciAuthority } from './requests';
import { guardLog } from '../safe-log';

const log = guardLog;

/** `fetch` (Node's bundled undici, and the undici package): published in the caller's stack. */
export const UNDICI_CHANNEL = 'undici:request:create';

/**
 * `http.request` / `https.request`: `created` is published by the ClientRequest constructor, in
 * the caller's stack (Node >= 22.12 / 23.2). Before it, only `start` exists, published on a later
 * tick once a socket is assigned: same async context, but no caller frame on the stack.
 */
export const HTTP_CHANNEL = satisfiesRange(process.versions.node, '^22.12.0 || >=23.2.0')
  ? 'http.client.request.created'
  : 'http.client.request.start';

/** Call sites are `net.<host>`: the host only, never the path or query. */
export const NETWORK_CALL_SITE_PREFIX = 'net.';

interface Subscription {
  channels: [undici: string, http: string];
  handlers: [undici: (message: unknown) => void, http: (message: unknown) => void];
}

/**
 * Process-wide, like the runtime in force: with two copies of the package loaded (npm nests two
 * versions), one subscription serves both, so a request is reported once. A copy unsubscribes
 * the other's handlers when the runtime in force turns the backstop off.
 */
const shared = ((globalThis as Record<symbol, unknown>)[
  Symbol.for('@mima-governance/instrumentation-guard.network-backstop.v1')
] ??= { subscription: undefined }) as { subscription: Subscription | undefined };

/**
 * Subscribes while the active guard has the backstop on, unsubscribes otherwise. Called when the
 * active runtime changes. `diagnostics_channel.subscribe` holds the channel itself, so a
 * subscription never disappears with a collected channel object.
 */
export function syncNetworkBackstop(): void {
  const wanted = activeGuard()?.networkHosts !== undefined;
  const current = shared.subscription;
  if (wanted === (current !== undefined)) return;
  if (current) {
    diagnosticsChannel.unsubscribe(current.channels[0], current.handlers[0]);
    diagnosticsChannel.unsubscribe(current.channels[1], current.handlers[1]);
    shared.subscription = undefined;
    return;
  }
  const subscription: Subscription = {
    channels: [UNDICI_CHANNEL, HTTP_CHANNEL],
    handlers: [onUndiciRequest, onHttpRequest],
  };
  diagnosticsChannel.subscribe(UNDICI_CHANNEL, onUndiciRequest);
  diagnosticsChannel.subscribe(HTTP_CHANNEL, onHttpRequest);
  shared.subscription = subscription;
}

/** Whether the backstop's subscribers are in place (for tests). */
export function networkBackstopSubscribed(): boolean {
  return shared.subscription !== undefined;
}

function onUndiciRequest(message: unknown): void {
  // A subscriber that throws raises an uncaught exception in the app: nothing may escape.
  try {
    const authority = undiciAuthority(message);
    if (authority !== undefined) onRequest(authority);
  } catch (error) {
    log.error('network backstop failed on a fetch request; the request goes on', error);
  }
}

function onHttpRequest(message: unknown): void {
  try {
    const authority = httpAuthority(message);
    if (authority !== undefined) onRequest(authority);
  } catch (error) {
    log.error('network backstop failed on an http request; the request goes on', error);
  }
}

let mutedWarned = false;

/**
 * A request to a listed host, made outside attest() and outside any patched SDK call the guard
 * has already seen (the SDK wrapper runs such calls covered), is reported as `net.<host>`.
 * It is never blocked: the request is already on its way (see checkRequest).
 */
function onRequest(authority: string): void {
  const guard = activeGuard();
  const match = guard?.networkHosts?.match(authority);
  if (guard === undefined || match === undefined || isAttestedOrCoveredRequest()) return;
  if (uncoveredCallsRan()) {
    // A wrap() client's call ran with nothing to carry its cover: its requests look like this
    // one. The backstop stays silent rather than report an attested call.
    if (!mutedWarned) {
      mutedWarned = true;
      log.warn(
        'network backstop: requests to AI hosts are not reported in this process: a MimaGovernance.wrap() ' +
          "client's call ran before anything could carry its attestation (no OpenTelemetry context " +
          'manager, no attest() yet), and its requests cannot be told from unattested ones. Register a ' +
          'context manager, or call attest() once, before the first wrapped call.',
      );
    }
    return;
  }
  guard.checkRequest({
    callSite: `${NETWORK_CALL_SITE_PREFIX}${match.hostname}`,
    provider: match.provider,
    operation: GEN_AI_OPERATION_UNKNOWN,
  });
}
