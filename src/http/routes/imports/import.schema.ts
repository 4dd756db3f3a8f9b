import { Type, type Static } from '@fastify/type-provider-typebox';
import { StringEnum } from '../../schema-helpers.js';

// Control characters are refused in every free-text field (they end up in object keys and logs).
const NoControl = '^[^\\u0000-\\u001f\\u007f]*$';

export const QUALITY = ['best', '2160p', '1440p', '1080p', '720p', '480p', '360p', '240p'] as const;
export const CONTAINERS = ['mp4', 'webm', 'mkv', 'm4a', 'mp3', 'opus'] as const;

export const InlineDestinationSchema = Type.Object(
  {
    provider: Type.Optional(StringEnum(['aws', 'r2', 'minio', 'spaces', 'b2', 'wasabi', 'gcs', 'other'])),
    endpoint: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    region: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9-]+$' })),
    bucket: Type.String({ minLength: 3, maxLength: 63 }),
    accessKeyId: Type.String({ minLength: 1, maxLength: 256, pattern: NoControl }),
    secretAccessKey: Type.String({ minLength: 1, maxLength: 512, pattern: NoControl }),
    forcePathStyle: Type.Optional(Type.Boolean()),
    pathPrefix: Type.Optional(Type.String({ maxLength: 512, pattern: NoControl })),
    storageClass: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Z_]+$' })),
    acl: Type.Optional(StringEnum(['private', 'public-read', 'bucket-default'])),
    publicEndpoint: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
  },
  { additionalProperties: false },
);

export const QencodeDestinationSchema = Type.Object(
  {
    url: Type.String({ minLength: 6, maxLength: 2048, pattern: '^s3://' }),
    key: Type.String({ minLength: 1, maxLength: 256, pattern: NoControl }),
    secret: Type.String({ minLength: 1, maxLength: 512, pattern: NoControl }),
    permissions: Type.Optional(StringEnum(['private', 'public-read'])),
    storage_class: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Z_]+$' })),
    use_tls: Type.Optional(Type.Union([Type.Literal(0), Type.Literal(1)])),
  },
  { additionalProperties: false },
);

export const CreateImportBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 4096 }),
    destination: Type.Optional(
      Type.Union([
        Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' }),
        InlineDestinationSchema,
        QencodeDestinationSchema,
      ]),
    ),
    bucket: Type.Optional(Type.String({ minLength: 3, maxLength: 63 })),
    path: Type.Optional(Type.String({ maxLength: 1024, pattern: NoControl })),
    filename: Type.Optional(Type.String({ minLength: 1, maxLength: 255, pattern: NoControl })),
    storageClass: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Z_]+$' })),
    acl: Type.Optional(StringEnum(['private', 'public-read', 'bucket-default'])),
    format: Type.Optional(
      Type.Object(
        {
          kind: StringEnum(['video', 'audio', 'original']),
          quality: Type.Optional(StringEnum(QUALITY)),
          container: Type.Optional(StringEnum(CONTAINERS)),
        },
        { additionalProperties: false },
      ),
    ),
    outputs: Type.Optional(
      Type.Array(StringEnum(['file', 'audio', 'thumbnail', 'hls', 'dash']), {
        minItems: 1,
        maxItems: 5,
        uniqueItems: true,
      }),
    ),
    playlist: Type.Optional(Type.Boolean()),
    maxItems: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    ifExists: Type.Optional(StringEnum(['overwrite', 'skip', 'rename', 'fail'])),
    presignExpiresIn: Type.Optional(Type.Integer({ minimum: 1, maximum: 604_800 })),
    webhook: Type.Optional(
      Type.Object(
        {
          url: Type.String({ minLength: 1, maxLength: 2048 }),
          secret: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
        },
        { additionalProperties: false },
      ),
    ),
    metadata: Type.Optional(
      // TypeBox drops a Record key schema's length and pattern; `propertyNames` enforces them.
      Type.Record(Type.String(), Type.String({ maxLength: 1024, pattern: NoControl }), {
        maxProperties: 32,
        propertyNames: { minLength: 1, maxLength: 64, pattern: NoControl },
      }),
    ),
  },
  { additionalProperties: false },
);
export type CreateImportBody = Static<typeof CreateImportBody>;

export const ErrorSchema = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    hint: Type.Optional(Type.String()),
    field: Type.Optional(Type.String()),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  }),
});

const FileView = Type.Object({
  id: Type.String(),
  role: Type.String(),
  storage: StringEnum(['destination', 'managed']),
  bucket: Type.Union([Type.String(), Type.Null()]),
  key: Type.String(),
  fileName: Type.String(),
  url: Type.String(),
  presignedUrl: Type.Union([Type.String(), Type.Null()]),
  presignedUrlExpiresAt: Type.Union([Type.String(), Type.Null()]),
  sizeBytes: Type.Number(),
  sha256: Type.String(),
  contentType: Type.String(),
});

export const ImportViewSchema = Type.Object({
  id: Type.String(),
  status: StringEnum(['queued', 'running', 'completed', 'failed', 'canceled']),
  phase: Type.Union([Type.String(), Type.Null()]),
  kind: Type.String(),
  parentId: Type.Union([Type.String(), Type.Null()]),
  url: Type.String(),
  progress: Type.Object({
    bytes: Type.Number(),
    totalBytes: Type.Union([Type.Number(), Type.Null()]),
    percent: Type.Union([Type.Number(), Type.Null()]),
  }),
  source: Type.Union([
    Type.Object({
      url: Type.String(),
      title: Type.Union([Type.String(), Type.Null()]),
      duration: Type.Union([Type.Number(), Type.Null()]),
      extractor: Type.Union([Type.String(), Type.Null()]),
    }),
    Type.Null(),
  ]),
  result: Type.Union([
    Type.Object({
      storage: StringEnum(['destination', 'managed']),
      fallback: Type.Optional(Type.Object({ reason: Type.String() })),
      skipped: Type.Optional(Type.Boolean()),
      children: Type.Optional(
        Type.Object({ total: Type.Number(), completed: Type.Number(), failed: Type.Number() }),
      ),
      files: Type.Array(FileView),
    }),
    Type.Null(),
  ]),
  error: Type.Union([
    Type.Object({ code: Type.String(), message: Type.String(), hint: Type.Optional(Type.String()) }),
    Type.Null(),
  ]),
  attempts: Type.Number(),
  metadata: Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()]),
  requestId: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  startedAt: Type.Union([Type.String(), Type.Null()]),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
});

export const ListImportsQuery = Type.Object(
  {
    status: Type.Optional(StringEnum(['queued', 'running', 'completed', 'failed', 'canceled'])),
    limit: Type.Optional(Type.String({ pattern: '^(?:[1-9][0-9]?|100)$' })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    parentId: Type.Optional(Type.String({ pattern: '^imp_[0-9a-z]{26}$' })),
  },
  { additionalProperties: false },
);

export const ImportIdParams = Type.Object(
  { id: Type.String({ maxLength: 64 }) },
  { additionalProperties: false },
);
