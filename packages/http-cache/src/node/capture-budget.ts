/**
 * The body bytes held by every capture in this process at once. A capture holds what it kept from
 * the first byte until its response closes, since until then those bytes sit in its copy and, for a
 * client that reads slowly, in the socket's buffer too (the application is not paused while a body
 * is kept, see capture.ts): 40 stalled readers of 8 MB pages held ~220 MB before this bound.
 */
let heldBytes = 0;

/** What all captures in this process hold now, in bytes. */
export function capturedBytesHeld(): number {
  return heldBytes;
}

/** One capture's share of the process-wide total. */
export class CaptureHold {
  private bytes = 0;

  /** @param limit the most all captures may hold together, as this capture's cache is configured. */
  constructor(private readonly limit: number) {}

  /** Takes `count` more bytes, or false (taking none) when that would go over the limit. */
  take(count: number): boolean {
    if (heldBytes + count > this.limit) return false;
    heldBytes += count;
    this.bytes += count;
    return true;
  }

  /** Gives back everything this capture holds. */
  release(): void {
    heldBytes -= this.bytes;
    this.bytes = 0;
  }
}
