import type { Adaptor } from './adaptor.js';
import { rdbmsAdaptor } from './rdbms/index.js';
import { httpAdaptor } from './http/index.js';
import { ftpAdaptor } from './ftp/index.js';
import { s3Adaptor } from './s3/index.js';

/** Every adaptor, one line each. Adding an application is its folder plus one line here. */
export const adaptors: readonly Adaptor[] = [
  rdbmsAdaptor,
  httpAdaptor,
  ftpAdaptor,
  s3Adaptor,
];

export function adaptorForConnection(type: string): Adaptor | undefined {
  return adaptors.find((a) => a.connectionType === type);
}

export function adaptorForExport(adaptorType: string): Adaptor | undefined {
  return adaptors.find((a) => a.exportTypes.includes(adaptorType));
}

export function adaptorForImport(adaptorType: string): Adaptor | undefined {
  return adaptors.find((a) => a.importTypes.includes(adaptorType));
}
