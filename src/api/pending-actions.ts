import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';
import { ErrorEnvelope } from './openapi-schemas.js';

/**
 * Action endpoints of the contract whose behaviour belongs to other work (installers, connector updates,
 * template installs, resource clones, connection replacement, dependency graphs). They answer 501 with
 * the error envelope, after authentication, so a client learns the route exists but is not done:
 * never a fake success.
 */
const pending: [method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, what: string][] = [
  ['POST', '/v1/integrations/:_id/install', 'Installing a connector'],
  ['POST', '/v1/connectors/:_id/install', 'Installing a connector'],
  ['DELETE', '/v1/integrations/:_id/install', 'Uninstalling an integration app'],
  ['PUT', '/v1/integrations/:_id/installer/:function', 'Running an installer step'],
  ['PUT', '/v1/integrations/:_id/uninstaller/:function', 'Running an uninstaller step'],
  ['PUT', '/v1/integrations/:_id/settings/:function', 'Running a settings function'],
  ['PUT', '/v1/connectors/:_id/update', 'Pushing a connector update'],
  ['GET', '/v1/connectors/:_id/installBase', 'The connector install base'],
  ['POST', '/v1/integrations/template', 'Installing a template'],
  ['GET', '/v1/templates/:_id/download/signedURL', 'Downloading a template'],
  ['POST', '/v1/integrations/:_id/clone', 'Cloning an integration'],
  ['POST', '/v1/exports/:_id/clone', 'Cloning an export'],
  ['POST', '/v1/imports/:_id/clone', 'Cloning an import'],
  ['PUT', '/v1/exports/:_id/replaceConnection', 'Replacing the connection of an export'],
  ['PUT', '/v1/imports/:_id/replaceConnection', 'Replacing the connection of an import'],
  ['PUT', '/v1/flows/:_id/replaceConnection', 'Replacing a connection across a flow'],
  ['GET', '/v1/exports/:_id/dependencies', 'Export dependencies'],
  ['GET', '/v1/imports/:_id/dependencies', 'Import dependencies'],
  ['GET', '/v1/flows/:_id/dependencies', 'Flow dependencies'],
  ['GET', '/v1/scripts/:_id/logs', 'Script logs'],
  ['POST', '/v1/exports/preview', 'Running an unsaved export (invoke a saved one: POST /v1/exports/:_id/invoke)'],
  ['POST', '/v1/connections/:_id/export', 'A virtual export on a connection'],
  ['POST', '/v1/connections/:_id/import', 'A virtual import that writes (map only: POST /v1/connections/:_id/import/map)'],
];

export async function pendingActionRoutes(app: FastifyInstance) {
  app.setValidatorCompiler(() => () => true);
  for (const [method, url, what] of pending) {
    const family = url.split('/')[2]!;
    app.route({
      method,
      url,
      schema: { tags: [family], summary: `${what} (not implemented yet: 501)`, response: { '4xx': ErrorEnvelope, 501: ErrorEnvelope } },
      handler: async () => {
        throw new ApiError('not_implemented', `${what} is not implemented yet.`);
      },
    });
  }
}

export const pendingActions = pending.map(([method, path]) => ({ method, path }));
