import * as fs from 'node:fs';
import * as path from 'node:path';
import { scan } from '../../src/scan';
import { ROOT } from './guard';

/** test/fixtures/scan/google-local: the scan fixtures of ollama, @google/generative-ai and Vertex AI. */
export const GOOGLE_LOCAL_SCAN = path.join(ROOT, 'test', 'fixtures', 'scan', 'google-local', 'src');

/**
 * Scans `files` and returns, as `file:line verdict call_site` lines, what the scan reported and
 * what the `// scan: <verdict> <call site>` markers (each on the line before its call) expect.
 */
export function scannedAndMarked(files: string[]): { scanned: string[]; marked: string[] } {
  const report = scan({ paths: files, displayRoot: ROOT });
  const scanned = report.sites.map((s) => `${s.file}:${s.line} ${s.verdict} ${s.call_site}`);
  const marked = files.flatMap((file) =>
    fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((text, i) => {
        const marker = text.trim().startsWith('// scan: ')
          ? text.trim().slice('// scan: '.length)
          : undefined;
        return marker ? [`${path.relative(ROOT, file)}:${i + 2} ${marker}`] : [];
      }),
  );
  return { scanned: scanned.sort(), marked: marked.sort() };
}
