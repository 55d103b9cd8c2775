import { Type } from 'typebox';
import { Id, Name, resourceSchema } from './common.js';

/** A host of out-of-process code (spec §4.16, §8). `server.systemToken` is generated when absent and masked in answers. */
export const StackSchema = resourceSchema('Stack', {
  name: Name,
  type: Type.Union([Type.Literal('server'), Type.Literal('lambda')]),
  framework: Type.Optional(Type.Union([Type.Literal('1.0'), Type.Literal('2.0'), Type.Literal('twoDotZero')])),
  server: Type.Optional(
    Type.Object(
      {
        hostURI: Type.String({ format: 'uri' }),
        systemToken: Type.Optional(Type.String({ writeOnly: true })),
        ipRanges: Type.Optional(Type.Array(Type.String())),
      },
      { additionalProperties: false },
    ),
  ),
  lambda: Type.Optional(
    Type.Object(
      {
        language: Type.Optional(Type.Union([Type.Literal('Node.js'), Type.Literal('C#')])),
        accessKeyId: Type.String(),
        secretAccessKey: Type.Optional(Type.String({ writeOnly: true })),
        awsRegion: Type.String(),
        functionName: Type.String(),
      },
      { additionalProperties: false },
    ),
  ),
  _connectorId: Type.Optional(Id),
  _integrationId: Type.Optional(Id),
  sandbox: Type.Optional(Type.Boolean()),
});
