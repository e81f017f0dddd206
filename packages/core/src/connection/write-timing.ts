/** What {@link WriteTiming} asks of each server of one client. */
export interface ReplyDebtors {
  /** Whether a connection of this server, unless it is `except`'s, has commands on the wire unanswered. */
  owesReplies(except: object): boolean;
}

/**
 * When a connection writes what its callers issued since its last write.
 *
 * At the end of the tick (process.nextTick), so a burst of calls leaves in one write, unless another
 * server of the same client owes replies: those may be in this turn of the event loop already,
 * read one socket after another in its poll phase, and the callers each reply resumes issue their next
 * commands to every server. Written at the end of each reply's tick, the commands of one poll phase
 * leave in up to one write per server per reply; written once the poll phase is over (setImmediate),
 * in one write per server. Over three servers at 50 callers that is 1.18× the gets per second and
 * 1.22× the get+set (bench/README.md, "Keys hashed in place, and writes after the poll phase"). With
 * nothing owed by another server (one server, or one caller) there is nothing to wait for, and waiting
 * there measured slower (0.86× get on one server).
 */
export class WriteTiming {
  private due: (() => void)[] = [];

  constructor(
    private readonly debtors: () => Iterable<ReplyDebtors>,
    /** What happens to the first error a batch of flushes threw: by default, thrown (uncaught). */
    private readonly onFlushError: (error: unknown) => void = rethrow,
  ) {}

  /**
   * Runs `flush` for `connection` at the end of this tick, or after the poll phase (see above).
   * Returns whether another server owes replies: the connection cuts its lines by it too.
   */
  schedule(connection: object, flush: () => void): boolean {
    if (!this.othersOwe(connection)) {
      process.nextTick(flush);
      return false;
    }
    if (this.due.push(flush) === 1) setImmediate(this.flushDue);
    return true;
  }

  private othersOwe(connection: object): boolean {
    for (const debtors of this.debtors()) if (debtors.owesReplies(connection)) return true;
    return false;
  }

  private readonly flushDue = (): void => {
    const due = this.due;
    this.due = [];
    // Every due connection is written even if one's flush throws (a TLS socket that cannot be made):
    // one connection's failure must not leave the others unwritten. The
    // first error is thrown afterwards, as it would have been from that connection's own nextTick.
    let failure: { error: unknown } | undefined;
    for (const flush of due) {
      try {
        flush();
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure !== undefined) this.onFlushError(failure.error);
  };
}

function rethrow(error: unknown): never {
  throw error;
}

/** For a connection that waits for nobody (a server's meta question, a discovery endpoint): at tick end. */
export const ALONE = new WriteTiming(() => []);
