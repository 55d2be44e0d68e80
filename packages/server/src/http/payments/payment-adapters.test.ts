import { describe, expect, it } from 'vitest';
import { PAYMENT_PROVIDERS } from '../../core/commerce/purchase-event.js';
import { PUBLIC_ONLY } from '../../core/operations/network-destinations.js';
import { createOutboundHttp } from '../outbound-http.js';
import { createPaymentAdapters } from './payment-adapters.js';

describe('the payment adapters', () => {
  it('are one per provider, each under its own name', () => {
    const adapters = createPaymentAdapters({ outbound: createOutboundHttp(PUBLIC_ONLY) });
    expect(Object.keys(adapters).sort()).toEqual([...PAYMENT_PROVIDERS].sort());
    for (const provider of PAYMENT_PROVIDERS) expect(adapters[provider].provider).toBe(provider);
  });
});
