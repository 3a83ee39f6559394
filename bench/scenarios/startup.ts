/**
 * One start-up, timed by the parent from spawn to exit. Argument: 'bare' (require('openai') only),
 * 'guard' (the guard's entry point and enableGuard(), then openai) or 'peer'
 * (registerInstrumentations with @opentelemetry/instrumentation-openai, then openai) or 'floor' (an
 * InstrumentationBase subclass that only hooks openai: the least the design's shape can add). Prints the
 * ms from the process's time origin to the end of its work, and whether the patch is in place.
 */
async function main(): Promise<void> {
  const variant = process.argv[2];
  let patched: () => boolean = () => true;
  if (variant === 'guard') {
    const guard = await import('../../src');
    guard.enableGuard();
    patched = () =>
      guard
        .getGuardStatus()
        .sdks.some((sdk) => sdk.module === 'openai' && sdk.patches.some((patch) => patch.active));
  } else if (variant === 'peer') {
    const { registerInstrumentations } = await import('@opentelemetry/instrumentation');
    const { OpenAIInstrumentation } = await import('@opentelemetry/instrumentation-openai');
    registerInstrumentations({ instrumentations: [new OpenAIInstrumentation()] });
    patched = () =>
      (openai.OpenAI.Chat.Completions.prototype.create as { __wrapped?: boolean }).__wrapped === true;
  } else if (variant === 'floor') {
    const { hookOnly } = await import('../hook-only');
    let hooked = false;
    hookOnly('openai', () => (hooked = true));
    patched = () => hooked;
  } else if (variant !== 'bare') {
    throw new Error(`unknown variant ${variant}`);
  }
  const openai = await import('openai');
  process.stdout.write(
    `${JSON.stringify({ samples: {}, facts: { ms: performance.now(), patched: patched() } })}\n`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
