import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Checks a presented API key against the accepted ones in constant time: both sides are hashed
 * first (so lengths leak nothing), and every accepted key is compared, with no early exit.
 * Node reads header bytes as latin1, and clients send non-ASCII as UTF-8 or latin1: both readings
 * are compared against the UTF-8 of the accepted keys (ASCII keys, the usual kind, read the same).
 */
export function createKeyCheck(accepted: readonly string[]): (presented: string | undefined) => boolean {
  const digests = accepted.map((key) => digest(Buffer.from(key, 'utf8')));
  return (presented) => {
    const asBytes = digest(Buffer.from(presented ?? '', 'latin1'));
    const asText = digest(Buffer.from(presented ?? '', 'utf8'));
    let match = false;
    for (const known of digests)
      match = timingSafeEqual(known, asBytes) || timingSafeEqual(known, asText) || match;
    return match && presented !== undefined;
  };
}

function digest(bytes: Buffer): Buffer {
  return createHash('sha256').update(bytes).digest();
}
