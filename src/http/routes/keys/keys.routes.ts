import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../../core/errors.js';
import type { ApiKeyRecord } from '../../../db/api-key.repository.js';
import type { AppServices } from '../../app-services.js';
import { requireAuth } from '../../auth.js';
import { ErrorSchema } from '../imports/import.schema.js';
import { UserName } from '../users/users.routes.js';

const KeyView = Type.Object({
  id: Type.String(),
  userId: Type.String(),
  prefix: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
});

function toView(record: ApiKeyRecord) {
  return {
    id: record.id,
    userId: record.userId,
    prefix: record.prefix,
    name: record.name,
    createdAt: record.createdAt.toISOString(),
    lastUsedAt: record.lastUsedAt?.toISOString() ?? null,
    revokedAt: record.revokedAt?.toISOString() ?? null,
  };
}

/**
 * API keys. Admins manage every user's keys; other users see and manage only their own (a key of
 * another user answers 404, like any other resource).
 */
export function keysRoutes(services: AppServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/v1/keys',
      {
        schema: {
          tags: ['keys'],
          summary: 'Create an API key (shown once)',
          body: Type.Object(
            {
              user: Type.Optional(UserName),
              name: Type.Optional(
                Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f]*$' }),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Object({ key: Type.String(), apiKey: KeyView }), '4xx': ErrorSchema },
        },
      },
      async (request, reply) => {
        const auth = requireAuth(request);
        let userId = auth.userId;
        if (request.body.user !== undefined && request.body.user !== auth.userName) {
          if (!auth.isAdmin) throw new AppError('FORBIDDEN');
          const user = await services.users.findByName(request.body.user);
          if (user === undefined) throw new AppError('USER_NOT_FOUND', { field: 'user' });
          userId = user.id;
        }
        const created = await services.keys.create(userId, request.body.name ?? null);
        return reply.status(201).send({ key: created.key, apiKey: toView(created.record) });
      },
    );

    app.get(
      '/v1/keys',
      {
        schema: {
          tags: ['keys'],
          summary: 'List API keys (own; admins: all)',
          response: { 200: Type.Object({ items: Type.Array(KeyView) }), '4xx': ErrorSchema },
        },
      },
      async (request) => {
        const auth = requireAuth(request);
        const records = await services.keys.list(auth.isAdmin ? {} : { userId: auth.userId });
        return { items: records.map(toView) };
      },
    );

    app.delete(
      '/v1/keys/:id',
      {
        schema: {
          tags: ['keys'],
          summary: 'Revoke an API key',
          params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
          response: { 200: Type.Object({ apiKey: KeyView }), '4xx': ErrorSchema },
        },
      },
      async (request) => {
        const auth = requireAuth(request);
        const record = await services.keys.findById(request.params.id);
        if (record === undefined || (!auth.isAdmin && record.userId !== auth.userId))
          throw new AppError('KEY_NOT_FOUND');
        await services.keys.revoke(record.id);
        const revoked = await services.keys.findById(record.id);
        return { apiKey: toView(revoked ?? record) };
      },
    );
  };
}
