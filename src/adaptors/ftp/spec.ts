import Type from 'typebox';
import { fileSchema } from '../common/files/file-schema.js';

export const ftpConnectionSchema = Type.Object(
  {
    hostURI: Type.String({ description: 'Server host name (a leading ftp:// or sftp:// is ignored).', examples: ['ftp.example.com'] }),
    type: Type.Optional(Type.Union([Type.Literal('ftp'), Type.Literal('ftps'), Type.Literal('sftp')], { default: 'ftp', description: '`ftps` is explicit TLS.' })),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'Default 21 (FTP, FTPS) or 22 (SFTP).' })),
    username: Type.String(),
    password: Type.Optional(Type.String({ writeOnly: true, description: 'Required for FTP; SFTP takes a password or authKey.' })),
    authKey: Type.Optional(Type.String({ writeOnly: true, description: 'SFTP private key (PEM or OpenSSH).' })),
    passphrase: Type.Optional(Type.String({ writeOnly: true })),
    usePassiveMode: Type.Optional(Type.Boolean({ default: true, description: 'Passive mode is always used.' })),
    userDirectoryIsRoot: Type.Optional(Type.Boolean({ default: false, description: 'Paths are relative to the login directory.' })),
    rejectUnauthorized: Type.Optional(Type.Boolean({ default: true, description: 'FTPS: verify the server certificate.' })),
    connectTimeout: Type.Optional(Type.Integer({ minimum: 100, default: 15000 })),
    entryParserFtpClientConfig: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

export const ftpExportSchema = Type.Object(
  {
    directoryPath: Type.String({ description: 'Folder to read files from.', examples: ['/outbound'] }),
    fileNameStartsWith: Type.Optional(Type.String()),
    fileNameEndsWith: Type.Optional(Type.String({ examples: ['.csv'] })),
    backupDirectoryPath: Type.Optional(Type.String({ description: 'Move files here after a successful run (default: delete them).' })),
  },
  { additionalProperties: true },
);

export const ftpImportSchema = Type.Object(
  {
    directoryPath: Type.String({ description: 'Folder to write files to.' }),
    fileName: Type.Optional(Type.String({ description: 'Handlebars template; one file per page.', examples: ['orders-{{timestamp}}.csv'] })),
    fileExtension: Type.Optional(Type.String()),
    inProgressFileName: Type.Optional(Type.String({ description: 'Upload under this name first, then rename.' })),
    useTempFile: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: true },
);

export { fileSchema };
