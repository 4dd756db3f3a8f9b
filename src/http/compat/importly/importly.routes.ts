import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../../core/errors.js';
import {
  DEFAULT_PRESIGN_SECONDS,
  type FormatRequest,
  type ImportRequest,
} from '../../../jobs/import-request.js';
import { validateUserFileName, validateUserPath } from '../../../storage/object-key.js';
import type { AppServices } from '../../app-services.js';
import { requireAuth } from '../../auth.js';
import { registerCompatErrorHandler } from '../compat-error-handler.js';
import { importlyStatus, RETURN_LOCATION_METADATA, toImportlyStatus } from './importly-status-view.js';
import {
  ImportlyCreated,
  ImportlyError,
  ImportlyImportBody,
  ImportlyStatusQuery,
  ImportlyStatusResponse,
} from './importly.schema.js';

/** Importly-compatible routes (seed 001): Bearer auth, `{ success, data }` answers. */
export function importlyRoutes(services: AppServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    registerCompatErrorHandler(app, (error) => ({
      status: error.status,
      body: { success: false, error: error.message, code: error.code },
    }));

    app.post(
      '/import',
      {
        schema: {
          tags: ['importly'],
          summary: 'Importly: start an import (store: true delivers into your default destination)',
          body: ImportlyImportBody,
          response: { 200: ImportlyCreated, '4xx': ImportlyError },
        },
      },
      async (request) => {
        const auth = requireAuth(request);
        const importRequest = await toImportlyImportRequest(services, auth.userId, request.body);
        const { job } = await services.imports.create(auth.userId, importRequest, {
          rawBody: request.body,
          requestId: request.id,
        });
        return { success: true as const, data: { jobId: job.id, status: importlyStatus(job.status) } };
      },
    );

    app.get(
      '/import/status',
      {
        schema: {
          tags: ['importly'],
          summary: 'Importly: import status, with mediaUrl and s3Storage once completed',
          querystring: ImportlyStatusQuery,
          response: { 200: ImportlyStatusResponse, '4xx': ImportlyError },
        },
      },
      async (request) => {
        const auth = requireAuth(request);
        const job = await services.imports.get(auth.userId, request.query.id);
        return { success: true as const, data: toImportlyStatus(await services.imports.view(job)) };
      },
    );
  };
}

export async function toImportlyImportRequest(
  services: AppServices,
  userId: string,
  body: ImportlyImportBody,
): Promise<ImportRequest> {
  const store = body.store === true;
  // Checked now, so a bad folder or name is a 400 and not a job that fails later.
  const path = body.storagePath === undefined ? undefined : validateUserPath(body.storagePath, 'storagePath');
  const filename =
    body.storageFilename === undefined
      ? undefined
      : validateUserFileName(body.storageFilename, 'storageFilename');
  const format = importlyFormat(body);

  if (store && (await services.destinations.getDefault(userId)) === undefined) {
    throw new AppError('VALIDATION_FAILED', {
      field: 'store',
      message:
        'S3 storage is not configured: save your bucket as the default destination first (POST /v1/destinations with "default": true).',
    });
  }
  // storageBucket and storageClass describe the S3 upload; without `store` there is none (Importly
  // ignores them too), and managed storage has neither buckets nor classes.
  const overrides = store ? { bucket: body.storageBucket, storageClass: body.storageClass } : {};
  const destination = await services.imports.resolveDestinationRef(
    userId,
    store ? undefined : 'managed',
    overrides,
  );
  const returnLocation = store && body.storageReturnLocation === true;
  return {
    url: body.url,
    destination,
    outputs: ['file'],
    playlist: false,
    ifExists: 'overwrite',
    presignExpiresIn: DEFAULT_PRESIGN_SECONDS,
    keyStyle: 'importly',
    ...(path === undefined ? {} : { path }),
    ...(filename === undefined ? {} : { filename }),
    ...(store && body.storageBucket !== undefined ? { bucket: body.storageBucket } : {}),
    ...(store && body.storageClass !== undefined ? { storageClass: body.storageClass.toUpperCase() } : {}),
    ...(format === undefined ? {} : { format }),
    ...(body.webhookUrl === undefined ? {} : { webhook: { url: body.webhookUrl } }),
    ...(returnLocation ? { metadata: { [RETURN_LOCATION_METADATA]: 'true' } } : {}),
  };
}

/** includeVideo / includeAudio / videoQuality onto the native `format`; audioQuality has no equivalent. */
export function importlyFormat(body: ImportlyImportBody): FormatRequest | undefined {
  if (body.includeAudio === false) {
    throw new AppError('VALIDATION_FAILED', {
      field: 'includeAudio',
      message:
        body.includeVideo === false
          ? 'includeVideo and includeAudio cannot both be false.'
          : 'Video without audio (includeAudio: false) is not supported.',
    });
  }
  if (body.includeVideo === false) return { kind: 'audio' };
  const quality = body.videoQuality;
  if (quality === undefined) return undefined;
  if (quality === '144p' || quality === 'lowest') {
    throw new AppError('VALIDATION_FAILED', {
      field: 'videoQuality',
      message: `videoQuality ${quality} is not supported; the lowest cap is 240p.`,
    });
  }
  return { kind: 'video', quality };
}
