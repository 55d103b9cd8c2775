import type { Store } from '../store/database.js';
import { connectionsKind, exportsKind, flowsKind, importsKind, integrationsKind } from './resource-kinds.js';
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
}

export function createServices(store: Store, box: SecretBox): Services {
  return {
    store,
    connections: new ResourceService(connectionsKind, store, box),
    exports: new ResourceService(exportsKind, store, box),
    imports: new ResourceService(importsKind, store, box),
    flows: new ResourceService(flowsKind, store, box),
    integrations: new ResourceService(integrationsKind, store, box),
  };
}
