import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../core/errors.js';
import type { ApiKeyRepository } from '../db/api-key.repository.js';
import { looksLikeApiKey } from '../security/api-key-secret.js';

export interface AuthContext {
  readonly userId: string;
  readonly userName: string;
  readonly isAdmin: boolean;
  readonly keyId: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth?: AuthContext;
  }
}

/** The key from `Authorization: Bearer <key>` or `x-api-key: <key>`. */
export function extractApiKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match?.[1] !== undefined) return match[1];
  }
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey.trim() !== '' ? apiKey.trim() : undefined;
}

export function makeAuthenticate(keys: ApiKeyRepository) {
  const touched = new Map<string, number>();
  return async function authenticate(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const key = extractApiKey(request);
    if (key === undefined) throw new AppError('AUTH_MISSING');
    if (!looksLikeApiKey(key)) throw new AppError('AUTH_INVALID');
    const owner = await keys.findOwnerByKey(key);
    if (owner === undefined) throw new AppError('AUTH_INVALID');
    if (owner.revoked) throw new AppError('AUTH_REVOKED');
    request.auth = {
      userId: owner.userId,
      userName: owner.userName,
      isAdmin: owner.isAdmin,
      keyId: owner.keyId,
    };
    // last_used_at at most once a minute per key: one write per request would serialise SQLite.
    const now = Date.now();
    if ((touched.get(owner.keyId) ?? 0) < now - 60_000) {
      touched.set(owner.keyId, now);
      await keys.touch(owner.keyId);
    }
  };
}

export function requireAuth(request: FastifyRequest): AuthContext {
  if (request.auth === undefined) throw new AppError('AUTH_MISSING');
  return request.auth;
}

export async function requireAdmin(request: FastifyRequest): Promise<void> {
  if (!requireAuth(request).isAdmin) throw new AppError('FORBIDDEN');
}
