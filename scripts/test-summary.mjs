// Prints the plain closing line CI reads ("N passed, N failed") from vitest's JSON report.
import { readFileSync } from 'node:fs';

let report;
try {
  report = JSON.parse(readFileSync('vitest-report.json', 'utf8'));
} catch (err) {
  console.log('0 passed, 1 failed');
  console.error(`test summary: cannot read vitest-report.json: ${err.message}`);
  process.exit(1);
}
console.log(`${report.numPassedTests} passed, ${report.numFailedTests} failed`);
process.exit(report.success && report.numFailedTests === 0 ? 0 : 1);
