/**
 * Runs the benchmarks: every bench/*.ts (except this file), in name order, each in its own child
 * process so one bench's heap, JIT state and peak RSS do not colour the next. Prints a header per
 * bench and a summary; exits non-zero if any bench failed.
 *
 *   npm run bench                 # all of them
 *   npm run bench -- http db      # only bench/http.ts and bench/db.ts
 *
 * Benches that need PostgreSQL or MariaDB say so and skip that part when the server is absent.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(benchDir);
const self = basename(fileURLToPath(import.meta.url));
const tsx = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'tsx.cmd' : 'tsx');

const available = readdirSync(benchDir)
  .filter((f) => f.endsWith('.ts') && f !== self && !f.endsWith('.d.ts'))
  .map((f) => f.slice(0, -3))
  .sort();

const wanted = process.argv.slice(2).map((a) => a.replace(/^bench\//, '').replace(/\.ts$/, ''));
const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length > 0) {
  console.error(`unknown bench ${unknown.map((u) => `"${u}"`).join(', ')}; available: ${available.join(', ')}`);
  process.exit(2);
}
const selected = wanted.length > 0 ? available.filter((a) => wanted.includes(a)) : available;
if (!existsSync(tsx)) {
  console.error(`tsx not found at ${tsx}: run npm install first`);
  process.exit(2);
}

function runOne(name: string): Promise<{ code: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(tsx, [join(benchDir, `${name}.ts`)], { cwd: root, stdio: 'inherit', env: process.env });
    child.on('error', (err) => {
      console.error(`bench/${name}.ts could not start: ${err.message}`);
      resolve({ code: 1, ms: performance.now() - started });
    });
    child.on('exit', (code, signal) => {
      if (signal) console.error(`bench/${name}.ts was killed by ${signal}`);
      resolve({ code: code ?? 1, ms: performance.now() - started });
    });
  });
}

const results: { name: string; code: number; ms: number }[] = [];
for (const [i, name] of selected.entries()) {
  console.log(`\n=== bench/${name}.ts (${i + 1}/${selected.length}) ${'='.repeat(Math.max(0, 60 - name.length))}`);
  const r = await runOne(name);
  results.push({ name, ...r });
  console.log(`--- bench/${name}.ts ${r.code === 0 ? 'done' : `FAILED (exit ${r.code})`} in ${(r.ms / 1000).toFixed(1)} s`);
}

console.log('\nSummary');
for (const r of results) console.log(`  ${r.code === 0 ? 'ok    ' : 'FAILED'}  bench/${r.name}.ts  ${(r.ms / 1000).toFixed(1)} s`);
const failed = results.filter((r) => r.code !== 0);
process.exit(failed.length > 0 ? 1 : 0);
