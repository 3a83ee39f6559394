// `node --import @mima-governance/instrumentation-guard/register app.mjs`
import '../src/register.js';
