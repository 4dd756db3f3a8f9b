import type { FastifyReply, FastifyRequest } from 'fastify';
import fs from 'node:fs';
import path from 'node:path';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../../core/errors.js';
import { LocalObjectStore } from '../../../storage/local/local-object-store.js';
import type { AppServices } from '../../app-services.js';
import { requireAuth } from '../../auth.js';

/** `attachment; filename="…"; filename*=UTF-8''…` with an ASCII fallback. */
export function contentDisposition(fileName: string, type: 'attachment' | 'inline' = 'attachment'): string {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

/** Parses one `bytes=a-b` range against `size`; undefined for none, 'invalid' when unsatisfiable. */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | undefined | 'invalid' {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (match === null) return undefined; // multi-range or garbage: serve the whole file (RFC 9110 allows it)
  const [, a = '', b = ''] = match;
  if (a === '' && b === '') return 'invalid';
  let start: number;
  let end: number;
  if (a === '') {
    start = Math.max(0, size - Number(b));
    end = size - 1;
  } else {
    start = Number(a);
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  }
  if (start > end || start >= size) return 'invalid';
  return { start, end };
}

async function serveManagedFile(
  services: AppServices,
  request: FastifyRequest,
  reply: FastifyReply,
  userId: string,
  key: string,
  disposition: string,
): Promise<FastifyReply> {
  const store = services.storage.managedStore(userId);
  if (!(store instanceof LocalObjectStore)) throw new AppError('FILE_NOT_FOUND');
  const file = store.pathOf(key);
  const stat = await fs.promises.stat(file).catch(() => undefined);
  if (stat === undefined || !stat.isFile()) throw new AppError('FILE_NOT_FOUND');
  const sidecar = await store.readSidecar(key);
  const size = stat.size;
  reply.header('content-type', sidecar?.contentType ?? 'application/octet-stream');
  reply.header('content-disposition', disposition);
  reply.header('accept-ranges', 'bytes');
  reply.header('cache-control', 'private, max-age=0');
  if (sidecar !== undefined) reply.header('etag', `"${sidecar.sha256}"`);
  const range = parseRange(request.headers.range, size);
  if (range === 'invalid') {
    reply.header('content-range', `bytes */${size}`);
    throw new AppError('RANGE_NOT_SATISFIABLE');
  }
  if (range === undefined) {
    reply.header('content-length', size);
    return reply.send(fs.createReadStream(file));
  }
  reply.status(206);
  reply.header('content-range', `bytes ${range.start}-${range.end}/${size}`);
  reply.header('content-length', range.end - range.start + 1);
  return reply.send(fs.createReadStream(file, { start: range.start, end: range.end }));
}

export function filesRoutes(services: AppServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    // Managed-storage downloads by signed link: no API key (the link is the credential).
    app.get(
      '/files/:userId/*',
      {
        schema: {
          tags: ['files'],
          summary: 'Download a managed-storage file by its signed, expiring link (Range supported)',
          params: Type.Object({
            userId: Type.String({ maxLength: 64 }),
            '*': Type.String({ maxLength: 2048 }),
          }),
          querystring: Type.Object({
            expires: Type.String({ pattern: '^\\d{1,12}$' }),
            name: Type.String({ maxLength: 1024 }),
            sig: Type.String({ maxLength: 128 }),
          }),
        },
      },
      async (request, reply) => {
        const { userId } = request.params;
        const key = request.params['*'];
        const { expires, name, sig } = request.query;
        const verdict = services.linkSigner.verify(userId, key, Number(expires), name, sig);
        if (verdict === 'invalid') throw new AppError('SIGNATURE_INVALID');
        if (verdict === 'expired') throw new AppError('LINK_EXPIRED');
        return serveManagedFile(
          services,
          request,
          reply,
          userId,
          key,
          contentDisposition(name || path.basename(key)),
        );
      },
    );

    // Folder-scoped links for HLS/DASH: one signature covers every file under a folder, so the
    // relative URLs inside a playlist or manifest resolve to links that are valid too.
    app.get(
      '/streams/:userId/:token/*',
      {
        schema: {
          tags: ['files'],
          summary: 'Fetch a file of a managed-storage HLS/DASH folder by a folder-scoped signed link',
          params: Type.Object({
            userId: Type.String({ maxLength: 64 }),
            token: Type.String({ maxLength: 160, pattern: '^\\d{1,12}\\.\\d{1,3}\\.[A-Za-z0-9_-]{20,100}$' }),
            '*': Type.String({ maxLength: 2048 }),
          }),
        },
      },
      async (request, reply) => {
        const { userId, token } = request.params;
        const key = request.params['*'];
        const verdict = services.linkSigner.verifyFolderToken(userId, key, token);
        if (verdict === 'invalid') throw new AppError('SIGNATURE_INVALID');
        if (verdict === 'expired') throw new AppError('LINK_EXPIRED');
        return serveManagedFile(
          services,
          request,
          reply,
          userId,
          key,
          contentDisposition(path.basename(key), 'inline'),
        );
      },
    );
  };
}

/**
 * An authenticated way to a file of one's own import: redirects to a fresh presigned URL. Register
 * it in the authenticated context: outside it `request.auth` is never set and every call is a 401.
 */
export function importFilesRoutes(services: AppServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/v1/imports/:id/files/:fileId',
      {
        schema: {
          tags: ['imports'],
          summary: 'Redirect to a fresh presigned URL of one file of an import',
          params: Type.Object({ id: Type.String({ maxLength: 64 }), fileId: Type.String({ maxLength: 64 }) }),
        },
      },
      async (request, reply) => {
        const auth = requireAuth(request);
        const job = await services.imports.get(auth.userId, request.params.id);
        const view = await services.imports.view(job);
        const file = view.result?.files.find((f) => f.id === request.params.fileId);
        if (file?.presignedUrl == null) throw new AppError('FILE_NOT_FOUND');
        return reply.redirect(file.presignedUrl, 302);
      },
    );
  };
}
