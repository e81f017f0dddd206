import type { MemwireError, MemwireLogger } from '@memwire/core';

/** What a Keyv instance offers for this: its `'error'` listeners (keyv 5 and 6 both have them). */
interface ErrorSource {
  on(event: 'error', listener: (error: unknown) => void): unknown;
  listeners?(event: 'error'): unknown[];
}

/**
 * Reports to `logger` the errors `keyv` emits when nobody else listens for them, once per error code:
 * Keyv turns failures into misses and `'error'` events, which an application that never subscribed
 * would otherwise never see. A listener of the application's own takes over (nothing is logged then).
 */
export function logUnheardErrors(keyv: ErrorSource, logger: MemwireLogger | undefined): void {
  if (logger === undefined || typeof keyv.listeners !== 'function') return;
  const logged = new Set<string>();
  const ours = (error: unknown): void => {
    if ((keyv.listeners?.('error') ?? []).some((listener) => listener !== ours)) return;
    const code = (error as Partial<MemwireError>)?.code ?? 'unknown';
    if (logged.has(code)) return;
    logged.add(code);
    const message = error instanceof Error ? error.message : String(error);
    logger.warn(
      `memwire: a Keyv store error with no 'error' listener (${code}: ${message}); reads turn into misses. Further ${code} errors are not logged`,
    );
  };
  keyv.on('error', ours);
}
