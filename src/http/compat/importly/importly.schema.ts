import { Type, type Static, type TSchema } from '@fastify/type-provider-typebox';
import { StringEnum } from '../../schema-helpers.js';

// Importly's request and response shapes (seed 001 and Importly's import endpoint reference),
// documented in /docs under the `importly` tag. Field names are Importly's (camelCase).

const NoControl = '^[^\\u0000-\\u001f\\u007f]*$';

export const IMPORTLY_VIDEO_QUALITIES = [
  'best',
  '2160p',
  '1440p',
  '1080p',
  '720p',
  '480p',
  '360p',
  '240p',
  '144p',
  'lowest',
] as const;
export const IMPORTLY_AUDIO_QUALITIES = ['best', 'high', 'medium', 'low', 'lowest'] as const;

export const ImportlyImportBody = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      maxLength: 4096,
      description: 'Publicly accessible media URL to download',
    }),
    store: Type.Optional(
      Type.Boolean({
        description:
          "true: upload to your S3 bucket (your default destination); otherwise bucketload's managed storage",
      }),
    ),
    storagePath: Type.Optional(
      Type.String({
        maxLength: 1024,
        pattern: NoControl,
        description: 'Folder (e.g. videos/2024); replaces the default path prefix',
      }),
    ),
    storageFilename: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        pattern: NoControl,
        description: 'File name without extension; the real extension is appended',
      }),
    ),
    storageBucket: Type.Optional(
      Type.String({
        minLength: 3,
        maxLength: 63,
        description: 'Another bucket at the same endpoint, with the same keys',
      }),
    ),
    storageClass: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        pattern: '^[A-Za-z_]+$',
        description: 'STANDARD, INTELLIGENT_TIERING, STANDARD_IA, ONEZONE_IA, GLACIER, DEEP_ARCHIVE, …',
      }),
    ),
    storageReturnLocation: Type.Optional(
      Type.Boolean({
        description: "true: mediaUrl is the object's S3 URL; otherwise a 24-hour presigned download URL",
      }),
    ),
    webhookUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    includeVideo: Type.Optional(Type.Boolean({ description: 'false: audio only' })),
    includeAudio: Type.Optional(
      Type.Boolean({ description: 'false (video without audio) is not supported' }),
    ),
    videoQuality: Type.Optional(
      StringEnum(IMPORTLY_VIDEO_QUALITIES, {
        description: 'A cap on height; 144p and lowest are not supported',
      }),
    ),
    audioQuality: Type.Optional(
      StringEnum(IMPORTLY_AUDIO_QUALITIES, {
        description: 'Accepted; bucketload always keeps the best audio',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ImportlyImportBody = Static<typeof ImportlyImportBody>;

export const IMPORTLY_STATUSES = ['queued', 'processing', 'completed', 'failed'] as const;
export type ImportlyStatus = (typeof IMPORTLY_STATUSES)[number];

export const ImportlyError = Type.Object({
  success: Type.Literal(false),
  error: Type.String(),
  code: Type.String(),
});

export const ImportlyCreated = Type.Object({
  success: Type.Literal(true),
  data: Type.Object({ jobId: Type.String(), status: StringEnum(IMPORTLY_STATUSES) }),
});

export const ImportlyStatusQuery = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64, description: 'The jobId returned by POST /import' }) },
  { additionalProperties: false },
);

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const ImportlyStatusData = Type.Object({
  jobId: Type.String(),
  status: StringEnum(IMPORTLY_STATUSES),
  mediaUrl: Nullable(Type.String({ description: 'Download location (only when completed)' })),
  s3Storage: Type.Optional(
    Type.Object(
      { url: Type.String(), bucket: Type.String(), key: Type.String() },
      { description: 'Only when the file is in your bucket (not after a fallback to managed storage)' },
    ),
  ),
  title: Nullable(Type.String()),
  duration: Nullable(Type.Number({ description: 'Seconds' })),
  fileSizeBytes: Nullable(Type.Number()),
  costInDollars: Type.Number({ description: 'Always 0: bucketload is self-hosted' }),
  error: Type.Optional(Type.String({ description: 'Why the import failed (only when failed)' })),
});
export type ImportlyStatusData = Static<typeof ImportlyStatusData>;

export const ImportlyStatusResponse = Type.Object({ success: Type.Literal(true), data: ImportlyStatusData });
