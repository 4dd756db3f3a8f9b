import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { webhookBackoffMs } from '../../../src/events/webhook-dispatcher.js';
import { signWebhook, verifyWebhookSignature } from '../../../src/events/webhook-signature.js';

describe('webhook signatures', () => {
  it('signs "<t>.<body>" with HMAC-SHA256 in a t=…,v1=… header', () => {
    const header = signWebhook('s3cret', '{"a":1}', 1_700_000_000);
    const mac = createHmac('sha256', 's3cret').update('1700000000.{"a":1}').digest('hex');
    expect(header).toBe(`t=1700000000,v1=${mac}`);
    expect(verifyWebhookSignature('s3cret', '{"a":1}', header, { nowSeconds: 1_700_000_100 })).toBe(true);
  });

  it('refuses another secret, another body, an old timestamp and junk', () => {
    const header = signWebhook('s3cret', 'body', 1_700_000_000);
    const now = { nowSeconds: 1_700_000_000 };
    expect(verifyWebhookSignature('other', 'body', header, now)).toBe(false);
    expect(verifyWebhookSignature('s3cret', 'body!', header, now)).toBe(false);
    expect(verifyWebhookSignature('s3cret', 'body', header, { nowSeconds: 1_700_000_301 })).toBe(false);
    expect(
      verifyWebhookSignature('s3cret', 'body', header.replace('t=1700000000', 't=1700000001'), now),
    ).toBe(false);
    expect(verifyWebhookSignature('s3cret', 'body', undefined, now)).toBe(false);
    expect(verifyWebhookSignature('s3cret', 'body', 'v1=abc', now)).toBe(false);
  });
});

describe('webhook backoff', () => {
  it('grows 4× per attempt from the base, with ±10 % jitter, capped at 6 h', () => {
    for (let i = 0; i < 50; i += 1) {
      expect(webhookBackoffMs(1, 10)).toBeGreaterThanOrEqual(9_000);
      expect(webhookBackoffMs(1, 10)).toBeLessThanOrEqual(11_000);
      expect(webhookBackoffMs(3, 10)).toBeGreaterThanOrEqual(144_000);
      expect(webhookBackoffMs(3, 10)).toBeLessThanOrEqual(176_000);
      expect(webhookBackoffMs(30, 10)).toBeLessThanOrEqual(6 * 3600_000 * 1.1);
    }
  });
});
