/**
 * One request header by name, whatever its case: Node lowercases incoming names, but a caller may pass headers
 * as the provider's documentation spells them (`Stripe-Signature`, `Paddle-Signature`, `X-Signature`).
 */
export function headerValue(headers: Record<string, string | undefined>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted && value !== undefined && value !== '') return value;
  }
  return undefined;
}
