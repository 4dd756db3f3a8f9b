import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { DestinationInput } from '../../../storage/destinations/destination-input.js';
import type { DestinationService } from '../../../storage/destinations/destination.service.js';
import { requireAuth } from '../../auth.js';
import { ErrorSchema } from '../imports/import.schema.js';
import {
  CreateDestinationBody,
  DestinationParams,
  DestinationViewSchema,
  PatchDestinationBody,
  TestDestinationBody,
  VerificationSchema,
} from './destination.schema.js';

/** Strips `undefined`s so exactOptionalPropertyTypes holds for the service input. */
function clean<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export function destinationsRoutes(destinations: DestinationService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/v1/destinations',
      {
        schema: {
          tags: ['destinations'],
          summary: 'Save a bucket after verifying it (a failed verification saves nothing)',
          body: CreateDestinationBody,
          response: { 201: DestinationViewSchema, '4xx': ErrorSchema },
        },
      },
      async (request, reply) => {
        const auth = requireAuth(request);
        const view = await destinations.create(auth.userId, clean(request.body));
        return reply.status(201).header('location', `/v1/destinations/${view.name}`).send(view);
      },
    );

    app.get(
      '/v1/destinations',
      {
        schema: {
          tags: ['destinations'],
          summary: 'List destinations (secrets masked)',
          response: { 200: Type.Object({ items: Type.Array(DestinationViewSchema) }), '4xx': ErrorSchema },
        },
      },
      async (request) => ({ items: await destinations.list(requireAuth(request).userId) }),
    );

    app.post(
      '/v1/destinations/test',
      {
        schema: {
          tags: ['destinations'],
          summary:
            'Verify a bucket without saving (Test connection): the capability report, or the classified error',
          body: TestDestinationBody,
          response: { 200: VerificationSchema, '4xx': ErrorSchema },
        },
      },
      async (request) => {
        requireAuth(request);
        const { name: _name, ...input } = clean(request.body);
        return destinations.test(input);
      },
    );

    app.get(
      '/v1/destinations/:name',
      {
        schema: {
          tags: ['destinations'],
          summary: 'Get a destination',
          params: DestinationParams,
          response: { 200: DestinationViewSchema, '4xx': ErrorSchema },
        },
      },
      async (request) => destinations.get(requireAuth(request).userId, request.params.name),
    );

    app.patch(
      '/v1/destinations/:name',
      {
        schema: {
          tags: ['destinations'],
          summary: 'Change a destination (re-verified before saving); `default: true` makes it the default',
          params: DestinationParams,
          body: PatchDestinationBody,
          response: { 200: DestinationViewSchema, '4xx': ErrorSchema },
        },
      },
      async (request) =>
        destinations.update(
          requireAuth(request).userId,
          request.params.name,
          clean(request.body) as Partial<DestinationInput>,
        ),
    );

    app.delete(
      '/v1/destinations/:name',
      {
        schema: {
          tags: ['destinations'],
          summary: 'Delete a destination',
          params: DestinationParams,
          response: { 204: Type.Null(), '4xx': ErrorSchema },
        },
      },
      async (request, reply) => {
        await destinations.delete(requireAuth(request).userId, request.params.name);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/v1/destinations/:name/test',
      {
        schema: {
          tags: ['destinations'],
          summary: 'Re-verify a saved destination and store the report',
          params: DestinationParams,
          response: { 200: VerificationSchema, '4xx': ErrorSchema },
        },
      },
      async (request) => destinations.retest(requireAuth(request).userId, request.params.name),
    );
  };
}
