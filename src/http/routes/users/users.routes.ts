import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppServices } from '../../app-services.js';
import { requireAdmin } from '../../auth.js';
import { ErrorSchema } from '../imports/import.schema.js';

export const UserName = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]*$',
});
const UserView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  isAdmin: Type.Boolean(),
  createdAt: Type.String(),
});

export function usersRoutes(services: AppServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/v1/users',
      {
        preHandler: requireAdmin,
        schema: {
          tags: ['admin'],
          summary: 'Create a user (admin); optionally with a first API key, shown once',
          body: Type.Object(
            {
              name: UserName,
              isAdmin: Type.Optional(Type.Boolean()),
              createKey: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
          response: {
            201: Type.Object({ user: UserView, apiKey: Type.Optional(Type.String()) }),
            '4xx': ErrorSchema,
          },
        },
      },
      async (request, reply) => {
        const user = await services.users.create(request.body.name, request.body.isAdmin ?? false);
        const key =
          request.body.createKey === true ? await services.keys.create(user.id, 'initial') : undefined;
        return reply.status(201).send({
          user: {
            id: user.id,
            name: user.name,
            isAdmin: user.isAdmin,
            createdAt: user.createdAt.toISOString(),
          },
          ...(key === undefined ? {} : { apiKey: key.key }),
        });
      },
    );

    app.get(
      '/v1/users',
      {
        preHandler: requireAdmin,
        schema: {
          tags: ['admin'],
          summary: 'List users (admin)',
          response: { 200: Type.Object({ items: Type.Array(UserView) }), '4xx': ErrorSchema },
        },
      },
      async () => ({
        items: (await services.users.list()).map((u) => ({
          id: u.id,
          name: u.name,
          isAdmin: u.isAdmin,
          createdAt: u.createdAt.toISOString(),
        })),
      }),
    );
  };
}
