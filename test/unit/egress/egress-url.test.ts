// Pure logic: URL rules. No network.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/core/errors.js';
import { MAX_URL_LENGTH, parseOutboundUrl } from '../../../src/security/egress/index.js';

function refusal(raw: string): AppError {
  try {
    parseOutboundUrl(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected a refusal');
}

describe('parseOutboundUrl (pure logic)', () => {
  it.each([
    ['http://0x7f.1/', '127.0.0.1'],
    ['http://2130706433/', '127.0.0.1'],
    ['http://0177.0.0.1/', '127.0.0.1'],
    ['http://017700000001/', '127.0.0.1'],
    ['http://0x7f000001/', '127.0.0.1'],
    ['http://127.1/', '127.0.0.1'],
    ['http://127.0.1/', '127.0.0.1'],
    ['http://127.000.000.001/', '127.0.0.1'],
    ['http://%31%32%37%2E0%2E0%2E1/', '127.0.0.1'],
    ['http://127.0.0.1./', '127.0.0.1'],
    ['http://0/', '0.0.0.0'],
    ['HTTP://LOCALHOST/', 'localhost'],
    ['http://[0:0:0:0:0:0:0:1]/', '[::1]'],
    ['http://[::ffff:127.0.0.1]/', '[::ffff:7f00:1]'],
    ['http://[::127.0.0.1]/', '[::7f00:1]'],
    ['http:\\\\127.0.0.1\\x', '127.0.0.1'],
    ['  https://localhost:8443/a?b#frag  ', 'localhost'],
  ])('normalises %s to the host %s', (raw, hostname) => {
    expect(parseOutboundUrl(raw).hostname).toBe(hostname);
  });

  it('drops the fragment and keeps the rest', () => {
    expect(parseOutboundUrl('https://localhost:8443/a b?c=d#frag').href).toBe(
      'https://localhost:8443/a%20b?c=d',
    );
  });

  it.each([
    ['file:///etc/passwd', 'scheme "file"'],
    ['ftp://127.0.0.1/', 'scheme "ftp"'],
    ['gopher://127.0.0.1:6379/_INFO', 'scheme "gopher"'],
    ['data:text/plain,hi', 'scheme "data"'],
    ['javascript:alert(1)', 'scheme "javascript"'],
    ['ws://localhost/', 'scheme "ws"'],
    ['http://user:hunter2@localhost/', 'User names and passwords'],
    ['http://user@localhost/', 'User names and passwords'],
    ['http://@localhost/', 'User names and passwords'],
    ['http://:@localhost/', 'User names and passwords'],
    ['http://localhost:0/', 'Port 0'],
    ['http://localhost/\u0000', 'control characters'],
    ['ht\ttp://localhost/', 'control characters'],
    ['http://local\nhost/', 'control characters'],
    ['', 'empty'],
    ['   ', 'empty'],
    ['/relative', 'not a valid absolute URL'],
    ['http://[::1/', 'not a valid absolute URL'],
    ['http://127.0.0.0.1/', 'not a valid absolute URL'],
  ])('refuses %j with INVALID_URL (%s)', (raw, message) => {
    const error = refusal(raw);
    expect(error.code).toBe('INVALID_URL');
    expect(error.message).toContain(message);
    expect(error.message).not.toContain('hunter2');
  });

  it(`refuses URLs over ${MAX_URL_LENGTH} characters and accepts ${MAX_URL_LENGTH}`, () => {
    const base = 'http://localhost/';
    expect(parseOutboundUrl(base + 'x'.repeat(MAX_URL_LENGTH - base.length)).href).toHaveLength(
      MAX_URL_LENGTH,
    );
    expect(refusal(base + 'x'.repeat(MAX_URL_LENGTH - base.length + 1)).message).toContain(
      'longer than 4096',
    );
  });
});
