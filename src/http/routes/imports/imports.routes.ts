import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../../core/errors.js';
import { DEFAULT_PRESIGN_SECONDS, type ImportRequest } from '../../../jobs/import-request.js';
import type { AppServices } from '../../app-services.js';
import { validateUserFileName, validateUserPath } from '../../../storage/object-key.js';
import { parseQencodeDestination } from '../../../storage/s3/qencode-destination.js';
import type { S3DestinationConfig } from '../../../storage/s3/s3-destination.js';
import { requireAuth } from '../../auth.js';
import {
  CreateImportBody,
  ErrorSchema,
  ImportIdParams,
  ImportViewSchema,
  ListImportsQuery,
} from './import.schema.js';

const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' }),
  ),
});

export function importsRoutes(services: AppServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/v1/imports',
      {
        schema: {
          tags: ['imports'],
          summary: 'Create an import (202; durable before the answer; honours Idempotency-Key)',
          body: CreateImportBody,
          headers: IdempotencyHeaders,
          response: { 200: ImportViewSchema, 202: ImportViewSchema, '4xx': ErrorSchema },
        },
      },
      async (request, reply) => {
        const auth = requireAuth(request);
        const body = request.body;
        const importRequest = await toImportRequest(services, auth.userId, body);
        const idempotencyKey = request.headers['idempotency-key'];
        const { job, created } = await services.imports.create(auth.userId, importRequest, {
          rawBody: body,
          requestId: request.id,
          ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
        });
        reply.header('location', `/v1/imports/${job.id}`);
        return reply.status(created ? 202 : 200).send(await services.imports.view(job));
      },
    );

    app.get(
      '/v1/imports',
      {
        schema: {
          tags: ['imports'],
          summary: 'List imports, newest first',
          querystring: ListImportsQuery,
          response: {
            200: Type.Object({
              items: Type.Array(ImportViewSchema),
              nextCursor: Type.Union([Type.String(), Type.Null()]),
            }),
            '4xx': ErrorSchema,
          },
        },
      },
      async (request) => {
        const auth = requireAuth(request);
        const { status, limit, cursor, parentId } = request.query;
        const page = await services.imports.list(auth.userId, {
          ...(status === undefined ? {} : { status }),
          ...(limit === undefined ? {} : { limit: Number(limit) }),
          ...(cursor === undefined ? {} : { cursor }),
          ...(parentId === undefined ? {} : { parentId }),
        });
        const items = [];
        for (const job of page.jobs) items.push(await services.imports.view(job, false));
        return { items, nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/v1/imports/:id',
      {
        schema: {
          tags: ['imports'],
          summary: 'Get an import with fresh presigned URLs',
          params: ImportIdParams,
          response: { 200: ImportViewSchema, '4xx': ErrorSchema },
        },
      },
      async (request) => {
        const auth = requireAuth(request);
        return services.imports.view(await services.imports.get(auth.userId, request.params.id));
      },
    );

    app.post(
      '/v1/imports/:id/cancel',
      {
        schema: {
          tags: ['imports'],
          summary: 'Cancel an import: stops the work and removes partial output',
          params: ImportIdParams,
          response: { 200: ImportViewSchema, '4xx': ErrorSchema },
        },
      },
      async (request) => {
        const auth = requireAuth(request);
        return services.imports.view(await services.imports.cancel(auth.userId, request.params.id), false);
      },
    );
  };
}

const VIDEO_CONTAINERS: readonly string[] = ['mp4', 'webm', 'mkv'];
const AUDIO_CONTAINERS: readonly string[] = ['m4a', 'mp3', 'opus'];

export async function toImportRequest(
  services: AppServices,
  userId: string,
  body: CreateImportBody,
): Promise<ImportRequest> {
  const format = body.format;
  if (body.presignExpiresIn !== undefined && body.presignExpiresIn > 604_800) {
    throw new AppError('VALIDATION_FAILED', {
      field: 'presignExpiresIn',
      message: 'presignExpiresIn is at most 604800 (7 days)',
    });
  }
  if (format?.container !== undefined) {
    const allowed =
      format.kind === 'audio'
        ? AUDIO_CONTAINERS
        : format.kind === 'video'
          ? VIDEO_CONTAINERS
          : [...VIDEO_CONTAINERS, ...AUDIO_CONTAINERS];
    if (!allowed.includes(format.container)) {
      throw new AppError('VALIDATION_FAILED', {
        field: 'format.container',
        message: `format.container ${format.container} does not fit format.kind ${format.kind}: use one of ${allowed.join(', ')}.`,
      });
    }
  }
  const target = destinationTarget(body.destination);
  // Checked now (INVALID_KEY naming the field), so a `..` or over-long path is a 400, not a job that fails later.
  const path = body.path === undefined ? target.path : validateUserPath(body.path, 'path');
  const filename =
    body.filename === undefined ? target.filename : validateUserFileName(body.filename, 'filename');
  return {
    url: body.url,
    destination: await services.imports.resolveDestinationRef(userId, target.ref, {
      bucket: body.bucket,
      storageClass: body.storageClass,
      acl: body.acl,
    }),
    outputs: body.outputs ?? ['file'],
    playlist: body.playlist ?? false,
    ifExists: body.ifExists ?? 'overwrite',
    presignExpiresIn: body.presignExpiresIn ?? DEFAULT_PRESIGN_SECONDS,
    keyStyle: 'native',
    ...(body.bucket === undefined ? {} : { bucket: body.bucket }),
    ...(path === undefined ? {} : { path }),
    ...(target.abrFolder === true && body.path === undefined ? { abrFolder: true } : {}),
    ...(filename === undefined ? {} : { filename }),
    ...(body.storageClass === undefined ? {} : { storageClass: body.storageClass }),
    ...(body.acl === undefined ? {} : { acl: body.acl }),
    ...(format === undefined
      ? {}
      : {
          format: {
            kind: format.kind,
            ...(format.quality === undefined ? {} : { quality: format.quality }),
            ...(format.container === undefined ? {} : { container: format.container }),
          },
        }),
    ...(body.maxItems === undefined ? {} : { maxItems: body.maxItems }),
    ...(body.webhook === undefined
      ? {}
      : {
          webhook: {
            url: body.webhook.url,
            ...(body.webhook.secret === undefined
              ? {}
              : { secretSealed: services.imports.sealSecret(userId, body.webhook.secret) }),
          },
        }),
    ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
  };
}

/**
 * The request's `destination`: a saved name, "managed", a native inline object, or a Qencode
 * object (`url: s3://endpoint/bucket/path`), whose path names the folder — or, when it ends in a
 * file name, the folder and the file.
 */
export function destinationTarget(destination: CreateImportBody['destination']): {
  ref: string | S3DestinationConfig | undefined;
  path?: string;
  filename?: string;
  abrFolder?: boolean;
} {
  if (destination === undefined || typeof destination === 'string') return { ref: destination };
  if ('url' in destination) {
    const parsed = parseQencodeDestination(destination);
    return {
      ref: { ...parsed.config, pathPrefix: undefined },
      path: parsed.folder,
      ...(parsed.file === undefined ? { abrFolder: true } : { filename: parsed.file.stem }),
    };
  }
  return { ref: destination };
}
