import { startIntegrator } from '../app.js';
import type { Config } from '../config.js';
import { requestFlowRun } from '../engine/flow-runs.js';
import { followJob } from './console-report.js';
import { ensureDemo } from './demo.js';

const out = (line = '') => process.stdout.write(`${line}\n`);

/** `integrator serve`: the API, a worker and the demo, with a plain account of what happened. */
export async function serve(config: Config) {
  const app = await startIntegrator(config);
  const { owner, url, services } = app;

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    out(`\n${signal} received: finishing running work and shutting down…`);
    await app.close();
    out('Integrator stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  out(`Integrator is listening on ${url}  (data: ${config.dataDir}, storage: ${services.store.dialect === 'sqlite' ? 'embedded SQLite' : 'PostgreSQL'})`);
  if (owner.newToken) {
    out('');
    out('Your API token (shown once; also saved to ' + `${config.dataDir}/initial-token, mode 0600):`);
    out(`  ${owner.newToken}`);
  }

  // The demo writes into this node's data directory, so only a node that runs flows sets it up.
  if (config.demo && !config.worker) out('Demo skipped: this node runs no worker (--no-worker).');
  if (config.demo && config.worker) {
    const demo = await ensureDemo(services, owner.accountId, { baseUrl: url, dataDir: config.dataDir });
    if (demo.created) {
      out('');
      out('Demo: integration "Getting started", flow "World countries to database"');
      out(`  reads ${url}/sample-data/countries page by page (HTTP, Link headers) and upserts into ${demo.databaseFile} (table countries)`);
      const jobId = await requestFlowRun(services, owner.accountId, demo.flowId, { trigger: 'demo' });
      const s = await followJob(services, jobId, { expectedRecords: 250, label: 'Demo run' });
      out(`  ${s.status}: ${s.exported} records exported, ${s.imported} imported, ${s.ignored} ignored, ${s.errors} errors in ${(s.elapsedMs / 1000).toFixed(2)} s`);
      if (s.failureReason) out(`  reason: ${s.failureReason}`);
      if (s.errors > 0) out(`  errors: curl -H "Authorization: Bearer <token>" ${url}/v1/jobs/${jobId}/joberrors`);
    } else {
      out(`Demo flow already set up (flow ${demo.flowId}); its rows are in ${demo.databaseFile}.`);
    }
    out('');
    out('Next steps:');
    const token = owner.newToken ?? '$(cat ' + `${config.dataDir}/initial-token)`;
    out(`  curl -H "Authorization: Bearer ${token}" ${url}/v1/flows`);
    out(`  curl -X POST -H "Authorization: Bearer ${token}" ${url}/v1/flows/${demo.flowId}/run`);
    out(`  API docs: ${url}/docs`);
  } else {
    out(`API docs: ${url}/docs`);
  }
}
