import { Command } from 'commander';
import { loadConfig } from '../config.js';
import { migrateToLatest, openStore, sqliteFileIn } from '../store/database.js';
import { serve } from './serve.js';

const program = new Command()
  .name('integrator')
  .description('Open-source, API-first integration platform');

program
  .command('serve')
  .description('run the REST API, a worker and the scheduler in one process')
  .option('-p, --port <port>', 'port to listen on (env PORT, default 3000)')
  .option('--no-worker', 'do not run flows in this process (API node only)')
  .action(async (opts: { port?: string; worker: boolean }) => {
    const config = loadConfig(process.env, {
      ...(opts.port !== undefined ? { port: Number(opts.port) } : {}),
      ...(opts.worker === false ? { worker: false } : {}),
    });
    await serve(config);
  });

program
  .command('migrate')
  .description('bring the database schema up to date and exit')
  .action(async () => {
    const config = loadConfig();
    const store = openStore(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { sqliteFile: sqliteFileIn(config.dataDir) });
    await migrateToLatest(store.db);
    await store.close();
    process.stdout.write('Database schema is up to date.\n');
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`integrator: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
