// Fails when an installed package's engines.node excludes the running Node, except the known-good few
// (spec/stack.md §2.2). Catches a careless `npm i pkg@latest` that pulls in a Node-22-only major.
import { readFileSync } from 'node:fs';
import semver from 'semver';

const allow = new Set(['cookie', 'content-disposition']);
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const node = process.versions.node;
const problems = [];
for (const [path, info] of Object.entries(lock.packages ?? {})) {
  if (!path || !info.engines?.node || info.dev && process.env.ENGINES_GUARD_SKIP_DEV) continue;
  const name = path.replace(/^.*node_modules\//, '');
  if (!semver.satisfies(node, info.engines.node, { includePrerelease: true }) && !allow.has(name)) {
    problems.push(`${name}@${info.version} needs node ${info.engines.node}`);
  }
}
if (problems.length > 0) {
  console.error(`engines guard: ${problems.length} package(s) do not support Node ${node}:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`engines guard: every installed package supports Node ${node}`);
