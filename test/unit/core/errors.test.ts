import { describe, expect, it } from 'vitest';
import { AppError, toError } from '../../../src/core/errors.js';
import { ERROR_CODES } from '../../../src/core/error-codes.js';

describe('error catalogue (pure logic)', () => {
  it('gives every code a 4xx/5xx status and a message', () => {
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^[A-Z][A-Z0-9_]+$/);
      expect(spec.status).toBeGreaterThanOrEqual(400);
      expect(spec.status).toBeLessThan(600);
      expect(spec.message.length).toBeGreaterThan(5);
    }
  });
  it('AppError carries status, hint and field', () => {
    const err = new AppError('VALIDATION_FAILED', { field: 'url', message: 'url is required' });
    expect(err.status).toBe(400);
    expect(err.field).toBe('url');
    expect(err.retryable).toBe(false);
    expect(new AppError('SOURCE_UNREACHABLE').retryable).toBe(true);
  });
  it('toError wraps non-errors with cause', () => {
    const e = toError('boom');
    expect(e).toBeInstanceOf(Error);
    expect(e.cause).toBe('boom');
  });
});

describe('docs/errors.md', () => {
  it('matches the catalogue (regenerate with npm run docs:errors)', async () => {
    const fs = await import('node:fs');
    const { renderErrorsDoc } = await import('../../../src/core/error-docs.js');
    expect(fs.readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8')).toBe(
      renderErrorsDoc(),
    );
  });
});
