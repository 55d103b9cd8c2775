import type { Store } from '../store/database.js';
import {
  connectionsKind, connectorsKind, exportsKind, flowsKind, iClientsKind, importsKind, integrationsKind, licensesKind, scriptsKind, stacksKind, templatesKind,
} from './resource-kinds.js';
import { ResourceService } from './resource-service.js';
import type { SecretBox } from './secrets.js';

/** The domain services one process shares between the API, the engine and the CLI. */
export interface Services {
  store: Store;
  connections: ResourceService;
  exports: ResourceService;
  imports: ResourceService;
  flows: ResourceService;
  integrations: ResourceService;
  connectors: ResourceService;
  licenses: ResourceService;
  iClients: ResourceService;
  templates: ResourceService;
  scripts: ResourceService;
  stacks: ResourceService;
}

export function createServices(store: Store, box: SecretBox): Services {
  return {
    store,
    connections: new ResourceService(connectionsKind, store, box),
    exports: new ResourceService(exportsKind, store, box),
    imports: new ResourceService(importsKind, store, box),
    flows: new ResourceService(flowsKind, store, box),
    integrations: new ResourceService(integrationsKind, store, box),
    connectors: new ResourceService(connectorsKind, store, box),
    licenses: new ResourceService(licensesKind, store, box),
    iClients: new ResourceService(iClientsKind, store, box),
    templates: new ResourceService(templatesKind, store, box),
    scripts: new ResourceService(scriptsKind, store, box),
    stacks: new ResourceService(stacksKind, store, box),
  };
}
