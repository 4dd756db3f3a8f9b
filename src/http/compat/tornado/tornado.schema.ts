import { Type, type Static, type TSchema } from '@fastify/type-provider-typebox';
import { StringEnum } from '../../schema-helpers.js';

// Tornado's request and response shapes (seed 000 and Tornado's API reference), documented in
// /docs under the `tornado` tag. Field names are Tornado's (snake_case), not bucketload's.

const NoControl = '^[^\\u0000-\\u001f\\u007f]*$';

export const TornadoBucketBody = Type.Object(
  {
    endpoint: Type.String({
      minLength: 1,
      maxLength: 2048,
      description:
        'S3 endpoint URL, e.g. https://s3.us-east-1.amazonaws.com or https://ACCOUNT.r2.cloudflarestorage.com',
    }),
    bucket: Type.String({ minLength: 1, maxLength: 63 }),
    region: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'e.g. us-east-1, or auto for R2' }),
    ),
    access_key: Type.String({ minLength: 1, maxLength: 256, pattern: NoControl }),
    secret_key: Type.String({
      minLength: 1,
      maxLength: 512,
      pattern: NoControl,
      description: 'Write-only; stored encrypted',
    }),
  },
  { additionalProperties: false },
);
export type TornadoBucketBody = Static<typeof TornadoBucketBody>;

export const TornadoMessage = Type.Object({ message: Type.String() });
export const TornadoError = Type.Object({ error: Type.String() });

export const TORNADO_FORMATS = ['mp4', 'mkv', 'webm', 'mov'] as const;

export const TornadoJobBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 4096, description: 'The video URL to download' }),
    folder: Type.Optional(
      Type.String({
        maxLength: 1024,
        pattern: NoControl,
        description:
          'S3 folder prefix: the object lands at <folder>/<title>.<ext>. At most 200 characters; no .. and no leading /.',
      }),
    ),
    filename: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        description: 'Custom file name without extension (sanitised)',
      }),
    ),
    format: Type.Optional(
      StringEnum(TORNADO_FORMATS, { description: 'Output container; mov is not supported' }),
    ),
    video_codec: Type.Optional(
      StringEnum(['copy'], { description: 'Only copy (no re-encode) is supported' }),
    ),
    audio_codec: Type.Optional(
      StringEnum(['copy'], { description: 'Only copy (no re-encode) is supported' }),
    ),
    webhook_url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
  },
  { additionalProperties: false },
);
export type TornadoJobBody = Static<typeof TornadoJobBody>;

export const TornadoJobCreated = Type.Object({ job_id: Type.String() });

export const TornadoJobParams = Type.Object(
  { id: Type.String({ maxLength: 64 }) },
  { additionalProperties: false },
);

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const TORNADO_STATUSES = ['Pending', 'Processing', 'Completed', 'Failed'] as const;
export type TornadoStatus = (typeof TORNADO_STATUSES)[number];
export const TORNADO_STEPS = ['Queued', 'Downloading', 'Muxing', 'Uploading', 'Finished'] as const;
export type TornadoStep = (typeof TORNADO_STEPS)[number];

export const TornadoJobView = Type.Object({
  id: Type.String(),
  url: Type.String(),
  status: StringEnum(TORNADO_STATUSES),
  s3_url: Nullable(
    Type.String({ description: 'Presigned download URL, valid for 24 hours (only when Completed)' }),
  ),
  subtitle_url: Type.Null({ description: 'Subtitles are not downloaded by bucketload: always null' }),
  error: Nullable(Type.String({ description: 'Error message (only when Failed)' })),
  step: StringEnum(TORNADO_STEPS),
  title: Nullable(Type.String()),
  folder: Nullable(Type.String()),
  file_size: Nullable(Type.Number({ description: 'Bytes (only when Completed)' })),
  created_at: Type.Number({ description: 'Milliseconds since the epoch' }),
  completed_at: Nullable(Type.Number({ description: 'Milliseconds since the epoch (only when finished)' })),
});
export type TornadoJobView = Static<typeof TornadoJobView>;
