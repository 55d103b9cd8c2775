import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import type { Services } from '../domain/services.js';
import { getMeta, setMeta } from '../store/accounts.js';
import { findResource } from '../store/resources.js';

const DEMO_KEY = 'demo.integration';

export interface Demo {
  integrationId: string;
  flowId: string;
  /** True when this start created it. */
  created: boolean;
  databaseFile: string;
}

/**
 * The bundled demo: integration "Getting started" with flow "World countries to database". It is an
 * ordinary integration built through the same services the API uses: an HTTP export reading the
 * server's own paged sample-data endpoint, and a database import upserting into `<dataDir>/demo.db`.
 */
export async function ensureDemo(services: Services, accountId: string, options: { baseUrl: string; dataDir: string }): Promise<Demo> {
  const databaseFile = join(options.dataDir, 'demo.db');
  const known = await getMeta(services.store.db, DEMO_KEY);
  if (known) {
    const { integrationId, flowId, sampleConnectionId } = JSON.parse(known) as { integrationId: string; flowId: string; sampleConnectionId?: string };
    if (await findResource(services.store.db, accountId, 'integrations', integrationId)) {
      if (sampleConnectionId) await followServerAddress(services, accountId, sampleConnectionId, options.baseUrl);
      return { integrationId, flowId, created: false, databaseFile };
    }
  }

  createCountriesTable(databaseFile);
  const integration = await services.integrations.create(accountId, {
    name: 'Getting started',
    description: 'A demo: reads the 250 countries of the world from a paged HTTP API and upserts them into a SQLite table.',
  });
  const api = await services.connections.create(accountId, {
    name: 'Sample data API',
    type: 'http',
    _integrationId: integration._id,
    http: { baseURI: `${options.baseUrl}/sample-data`, mediaType: 'json', ping: { relativeURI: '/countries?limit=1', method: 'GET' } },
  });
  const database = await services.connections.create(accountId, {
    name: 'Demo database',
    type: 'rdbms',
    _integrationId: integration._id,
    rdbms: { type: 'sqlite', database: databaseFile },
  });
  const countries = await services.exports.create(accountId, {
    name: 'World countries',
    adaptorType: 'HTTPExport',
    _connectionId: api._id,
    _integrationId: integration._id,
    pageSize: 50,
    http: { method: 'GET', relativeURI: '/countries?limit=50', paging: { method: 'linkheader' } },
  });
  const table = await services.imports.create(accountId, {
    name: 'Countries table',
    adaptorType: 'RDBMSImport',
    _connectionId: database._id,
    _integrationId: integration._id,
    rdbms: { queryType: ['bulk_load'], bulkLoad: { tableName: 'countries', primaryKeys: ['code'] } },
    mapping: {
      fields: [
        { extract: 'cca2', generate: 'code' },
        { extract: 'name.common', generate: 'name' },
        { extract: 'name.official', generate: 'official_name' },
        { extract: 'region', generate: 'region' },
        { extract: 'subregion', generate: 'subregion' },
        { extract: 'capital.0', generate: 'capital' },
        { extract: 'ccn3', generate: 'numeric_code', dataType: 'number' },
        { extract: 'area', generate: 'area', dataType: 'number' },
        { extract: 'unMember', generate: 'un_member', dataType: 'boolean' },
        { extract: 'latlng.0', generate: 'location.lat' },
        { extract: 'latlng.1', generate: 'location.lng' },
        { extract: '{name.common} ({cca3})', generate: 'label' },
        { generate: 'source', hardCodedValue: 'world-countries' },
      ],
    },
  });
  const flow = await services.flows.create(accountId, {
    name: 'World countries to database',
    _integrationId: integration._id,
    pageGenerators: [{ _exportId: countries._id }],
    pageProcessors: [{ type: 'import', _importId: table._id }],
  });
  await setMeta(services.store.db, DEMO_KEY, JSON.stringify({ integrationId: integration._id, flowId: flow._id, sampleConnectionId: api._id }));
  return { integrationId: integration._id, flowId: flow._id, created: true, databaseFile };
}

/** The sample data is served by this server, so its connection follows the server when PORT changes. */
async function followServerAddress(services: Services, accountId: string, connectionId: string, baseUrl: string) {
  const row = await findResource(services.store.db, accountId, 'connections', connectionId);
  if (!row) return;
  const current = await services.connections.get(accountId, connectionId);
  const http = current.http as { baseURI?: string } | undefined;
  const wanted = `${baseUrl}/sample-data`;
  // Only a base URI that still points at some local server's sample data is ours to move.
  if (http?.baseURI && http.baseURI !== wanted && /^http:\/\/[^/]+\/sample-data$/.test(http.baseURI)) {
    await services.connections.patch(accountId, connectionId, [{ op: 'replace', path: '/http/baseURI', value: wanted }]);
  }
}

function createCountriesTable(file: string) {
  const db = new SQLite(file);
  try {
    db.exec(`CREATE TABLE IF NOT EXISTS countries (
      code TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      official_name TEXT,
      region TEXT,
      subregion TEXT,
      capital TEXT,
      numeric_code INTEGER,
      area REAL,
      un_member INTEGER,
      location TEXT,
      label TEXT,
      source TEXT
    )`);
  } finally {
    db.close();
  }
}
