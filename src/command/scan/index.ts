import * as path from 'node:path';
import { SDK_DEFINITIONS } from '../../app/sdks';
import { ApiTable } from './api-table';
import { Attestations } from './attestation';
import { findSdkCalls } from './call-sites';
import { compareSites, type ScanReport, type ScanSite } from './format';
import { PackageLookup } from './packages';
import { buildProgram, checkPaths, projectRoot } from './program';
import { References } from './references';
import { loadTypeScript, type TypeScript } from './typescript';
import { Classifier } from './verdict';

export interface ScanOptions {
  /** Files and directories to scan. */
  paths: string[];
  /** Paths in the report are relative to it. Default: the working directory. */
  displayRoot?: string;
  /** A typescript module to use instead of resolving one (tests). */
  typescript?: TypeScript;
}

/**
 * `mima-guard scan`: every call in the project that reaches a patched SDK chokepoint, matched
 * against the SDK definitions' userApi tables by what it resolves to, and classified.
 */
export function scan(options: ScanOptions): ScanReport {
  const started = process.hrtime.bigint();
  checkPaths(options.paths);
  const ts = options.typescript ?? loadTypeScript(projectRoot(path.resolve(options.paths[0])));
  const displayRoot = options.displayRoot ?? process.cwd();
  const packages = new PackageLookup();
  const sdkModules = new Set(SDK_DEFINITIONS.map((sdk) => sdk.module));
  const isSdkFile = (file: string) => sdkModules.has(packages.of(file)?.name ?? '');
  const { program, checker, files, tsconfig } = buildProgram(ts, options.paths, isSdkFile);
  const sources = program.getSourceFiles().filter((file) => files.has(path.normalize(file.fileName)));
  const table = new ApiTable(ts, packages, SDK_DEFINITIONS, program);
  const attestations = new Attestations(ts, checker, packages);
  const classifier = new Classifier(ts, attestations, new References(ts, checker, sources), displayRoot);

  const sites: ScanSite[] = findSdkCalls(ts, checker, table, sources).map((call) => {
    const file = call.node.getSourceFile();
    const at = file.getLineAndCharacterOfPosition(call.node.getStart(file));
    return {
      file: path.relative(displayRoot, file.fileName).split(path.sep).join('/') || file.fileName,
      line: at.line + 1,
      column: at.character + 1,
      call_site: call.callSite,
      expression: call.expression,
      package: call.member.sdk.userApi.declaredIn ?? call.member.sdk.module,
      ...classifier.classify(call),
    };
  });
  sites.sort(compareSites);
  const count = (verdict: ScanSite['verdict']) => sites.filter((site) => site.verdict === verdict).length;
  return {
    files: sources.length,
    tsconfig: tsconfig ? path.relative(displayRoot, tsconfig) || tsconfig : null,
    sites,
    summary: {
      total: sites.length,
      unattested: count('unattested'),
      unknown: count('unknown'),
      attested: count('attested'),
    },
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
}
