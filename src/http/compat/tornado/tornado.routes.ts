import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../../core/errors.js';
import type { ErrorCode } from '../../../core/error-codes.js';
import { DEFAULT_PRESIGN_SECONDS, type ImportRequest } from '../../../jobs/import-request.js';
import { sanitizeFileName, validateUserPath } from '../../../storage/object-key.js';
import type { AppServices } from '../../app-services.js';
import { requireAuth } from '../../auth.js';
import { registerCompatErrorHandler } from '../compat-error-handler.js';
import { toTornadoJobView } from './tornado-job-view.js';
import {
  TornadoBucketBody,
  TornadoError,
  TornadoJobBody,
  TornadoJobCreated,
  TornadoJobParams,
  TornadoJobView,
  TornadoMessage,
} from './tornado.schema.js';

/** The name under which Tornado's single bucket configuration is kept (a normal saved destination). */
export const TORNADO_DESTINATION_NAME = 'tornado';

export const BUCKET_UPDATED = 'Bucket configuration updated successfully';
export const BUCKET_RESET = 'Bucket configuration reset successfully: downloads now go to managed storage';

/** Tornado's folder rules: at most 200 characters, no `..`, no leading `/`. */
const MAX_FOLDER_CHARS = 200;

/**
 * `Verification failed: <Reason>` for every classified verification failure; the seed names
 * `Access Denied`, `NoSuchBucket` and `timeout`, the others follow the S3 error names.
 */
const VERIFICATION_REASONS: Partial<Record<ErrorCode, string>> = {
  ACCESS_DENIED: 'Access Denied',
  NO_SUCH_BUCKET: 'NoSuchBucket',
  STORAGE_TIMEOUT: 'timeout',
  INVALID_ACCESS_KEY_ID: 'InvalidAccessKeyId',
  SIGNATURE_DOES_NOT_MATCH: 'SignatureDoesNotMatch',
  WRONG_REGION: 'WrongRegion',
  STORAGE_UNREACHABLE: 'Unreachable',
  STORAGE_TLS: 'TLS',
  EGRESS_DENIED: 'EgressDenied',
  STORAGE_ERROR: 'StorageError',
  INTEGRITY_MISMATCH: 'IntegrityMismatch',
};

/** Texts Tornado's clients know; everything else keeps the catalogue's message. */
const TORNADO_TEXTS: Partial<Record<ErrorCode, string>> = {
  AUTH_MISSING: 'Missing API Key',
  AUTH_INVALID: 'Invalid API Key',
  AUTH_REVOKED: 'API Key has been revoked',
  IMPORT_NOT_FOUND: 'Job not found',
};

/** Tornado-compatible routes (seed 000): `x-api-key` auth, `{"error":"…"}` errors. */
export function tornadoRoutes(services: AppServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    registerCompatErrorHandler(app, (error) => ({
      status: error.status,
      body: { error: TORNADO_TEXTS[error.code] ?? error.message },
    }));

    app.post(
      '/user/bucket',
      {
        schema: {
          tags: ['tornado'],
          summary:
            'Tornado: configure your S3 bucket (verified before saving; becomes the default destination)',
          body: TornadoBucketBody,
          response: { 200: TornadoMessage, '4xx': TornadoError },
        },
      },
      async (request, reply) => {
        const auth = requireAuth(request);
        const body = request.body;
        try {
          await services.destinations.upsertDefault(auth.userId, TORNADO_DESTINATION_NAME, {
            endpoint: body.endpoint,
            bucket: body.bucket,
            accessKeyId: body.access_key,
            secretAccessKey: body.secret_key,
            ...(body.region === undefined ? {} : { region: body.region }),
          });
        } catch (error) {
          const reason = error instanceof AppError ? VERIFICATION_REASONS[error.code] : undefined;
          if (reason === undefined) throw error;
          request.log.info({ code: (error as AppError).code }, 'bucket verification failed');
          return reply.status(400).send({ error: `Verification failed: ${reason}` });
        }
        return { message: BUCKET_UPDATED };
      },
    );

    app.delete(
      '/user/bucket',
      {
        schema: {
          tags: ['tornado'],
          summary: 'Tornado: reset to managed storage (the saved bucket stays, no longer the default)',
          response: { 200: TornadoMessage, '4xx': TornadoError },
        },
      },
      async (request) => {
        await services.destinations.clearDefault(requireAuth(request).userId);
        return { message: BUCKET_RESET };
      },
    );

    app.post(
      '/jobs',
      {
        schema: {
          tags: ['tornado'],
          summary:
            'Tornado: create a download job into your bucket (or managed storage) at <folder>/<title>.<ext>',
          body: TornadoJobBody,
          response: { 200: TornadoJobCreated, '4xx': TornadoError },
        },
      },
      async (request) => {
        const auth = requireAuth(request);
        const importRequest = await toTornadoImportRequest(services, auth.userId, request.body);
        const { job } = await services.imports.create(auth.userId, importRequest, {
          rawBody: request.body,
          requestId: request.id,
        });
        return { job_id: job.id };
      },
    );

    app.get(
      '/jobs/:id',
      {
        schema: {
          tags: ['tornado'],
          summary: 'Tornado: job status; s3_url is a 24-hour presigned URL once Completed',
          params: TornadoJobParams,
          response: { 200: TornadoJobView, '4xx': TornadoError },
        },
      },
      async (request) => {
        const auth = requireAuth(request);
        const job = await services.imports.get(auth.userId, request.params.id);
        return toTornadoJobView(await services.imports.view(job), job.request.path);
      },
    );
  };
}

export async function toTornadoImportRequest(
  services: AppServices,
  userId: string,
  body: TornadoJobBody,
): Promise<ImportRequest> {
  const folder = body.folder === undefined ? undefined : tornadoFolder(body.folder);
  // "Custom filename (without extension). Will be sanitized.": sanitised, not refused.
  const filename = body.filename === undefined ? '' : sanitizeFileName(body.filename);
  if (body.format === 'mov') {
    throw new AppError('VALIDATION_FAILED', {
      field: 'format',
      message: 'format mov is not supported; use mp4, mkv or webm',
    });
  }
  return {
    url: body.url,
    // The user's default destination (POST /user/bucket), else managed storage.
    destination: await services.imports.resolveDestinationRef(userId, undefined),
    outputs: ['file'],
    playlist: false,
    ifExists: 'overwrite',
    presignExpiresIn: DEFAULT_PRESIGN_SECONDS,
    keyStyle: 'tornado',
    ...(folder === undefined || folder === '' ? {} : { path: folder }),
    ...(filename === '' ? {} : { filename }),
    ...(body.format === undefined ? {} : { format: { kind: 'video' as const, container: body.format } }),
    ...(body.webhook_url === undefined ? {} : { webhook: { url: body.webhook_url } }),
  };
}

/** Checks a Tornado `folder` with Tornado's own messages, then bucketload's key rules. */
export function tornadoFolder(raw: string): string {
  if ([...raw].length > MAX_FOLDER_CHARS) {
    throw new AppError('VALIDATION_FAILED', {
      field: 'folder',
      message: `Folder name too long (max ${MAX_FOLDER_CHARS} characters)`,
    });
  }
  if (raw.startsWith('/') || raw.includes('..')) {
    throw new AppError('INVALID_KEY', {
      field: 'folder',
      message: 'Invalid folder name: it cannot contain .. or start with /',
    });
  }
  return validateUserPath(raw, 'folder');
}
