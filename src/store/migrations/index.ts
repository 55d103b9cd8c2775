import type { Migration, MigrationProvider } from 'kysely';
import * as initial from './001-initial.js';
import * as api from './002-api.js';
import * as engine from './003-engine.js';

/** Migrations in order; names sort lexically, so keep the numeric prefix. */
const migrations: Record<string, Migration> = {
  '001-initial': initial,
  '002-api': api,
  '003-engine': engine,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
