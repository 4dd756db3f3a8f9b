import { Type, type Static } from '@fastify/type-provider-typebox';
import { StringEnum } from '../../schema-helpers.js';

const NoControl = '^[^\\u0000-\\u001f\\u007f]*$';

export const DestinationName = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
});

const fields = {
  provider: Type.Optional(StringEnum(['aws', 'r2', 'minio', 'spaces', 'b2', 'wasabi', 'gcs', 'other'])),
  endpoint: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, pattern: NoControl })),
  region: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$' })),
  accountId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9]+$' })),
  bucket: Type.String({ minLength: 3, maxLength: 63 }),
  accessKeyId: Type.String({ minLength: 1, maxLength: 256, pattern: NoControl }),
  secretAccessKey: Type.String({ minLength: 1, maxLength: 512, pattern: NoControl }),
  forcePathStyle: Type.Optional(Type.Boolean()),
  pathPrefix: Type.Optional(Type.String({ maxLength: 512, pattern: NoControl })),
  storageClass: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z_]+$' })),
  acl: Type.Optional(StringEnum(['private', 'public-read', 'bucket-default'])),
  serverSideEncryption: Type.Optional(StringEnum(['AES256', 'aws:kms'])),
  publicEndpoint: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, pattern: NoControl })),
  presignExpiresIn: Type.Optional(Type.Integer({ minimum: 1, maximum: 604_800 })),
};

export const CreateDestinationBody = Type.Object(
  { name: DestinationName, ...fields, default: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
export type CreateDestinationBody = Static<typeof CreateDestinationBody>;

export const TestDestinationBody = Type.Object(
  { name: Type.Optional(DestinationName), ...fields },
  { additionalProperties: false },
);

export const PatchDestinationBody = Type.Partial(CreateDestinationBody, {
  additionalProperties: false,
  minProperties: 1,
});

const Capabilities = Type.Object({
  put: Type.Boolean(),
  read: Type.Boolean(),
  list: Type.Boolean(),
  delete: Type.Boolean(),
  presign: Type.Boolean(),
});

export const VerificationSchema = Type.Object({
  ok: Type.Boolean(),
  capabilities: Capabilities,
  probeErrors: Type.Record(Type.String(), Type.String()),
  checkedAt: Type.String(),
  durationMs: Type.Number(),
  markerRemoved: Type.Boolean(),
});

const Nullable = <T extends ReturnType<typeof Type.String> | ReturnType<typeof Type.Number>>(schema: T) =>
  Type.Union([schema, Type.Null()]);

export const DestinationViewSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  provider: Type.String(),
  endpoint: Nullable(Type.String()),
  region: Type.String(),
  bucket: Type.String(),
  accessKeyId: Type.String(),
  secretAccessKey: Type.String({ description: 'Always masked; the secret is write-only.' }),
  forcePathStyle: Type.Boolean(),
  pathPrefix: Nullable(Type.String()),
  storageClass: Nullable(Type.String()),
  acl: Nullable(Type.String()),
  serverSideEncryption: Nullable(Type.String()),
  publicEndpoint: Nullable(Type.String()),
  presignExpiresIn: Nullable(Type.Number()),
  default: Type.Boolean(),
  capabilities: Type.Union([VerificationSchema, Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export const DestinationParams = Type.Object({ name: DestinationName }, { additionalProperties: false });
