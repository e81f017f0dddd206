/**
 * FIFO of commands written to a socket and awaiting their replies. memcached answers in order, so the
 * head is always the command the next reply belongs to. An array with a moving head: `shift()` on a
 * plain array is O(n), and a pipelined connection holds thousands of commands.
 */
export class CommandQueue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head++;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Removes the last `count` items (fewer if the queue is shorter), returning them in order. */
  popTail(count: number): T[] {
    const start = Math.max(this.head, this.items.length - count);
    const tail = this.items.slice(start) as T[];
    this.items.length = start;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    }
    return tail;
  }

  /** Empties the queue, returning what it held in order. */
  drain(): T[] {
    const drained = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return drained;
  }
}
