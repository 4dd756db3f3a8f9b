import { Type } from '@fastify/type-provider-typebox';

/** A string enum as `{ type: 'string', enum: [...] }`, typed as the union of its values. */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: { description?: string } = {},
) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}
