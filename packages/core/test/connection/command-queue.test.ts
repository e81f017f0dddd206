import { describe, expect, test } from 'vitest';
import { CommandQueue } from '../../src/connection/command-queue.js';

describe('CommandQueue', () => {
  test('starts empty', () => {
    const queue = new CommandQueue<string>();
    expect(queue.length).toBe(0);
    expect(queue.peek()).toBeUndefined();
    expect(queue.shift()).toBeUndefined();
  });

  test('gives items back first in, first out', () => {
    const queue = new CommandQueue<string>();
    queue.push('a');
    queue.push('b');
    queue.push('c');
    expect(queue.length).toBe(3);
    expect(queue.shift()).toBe('a');
    expect(queue.shift()).toBe('b');
    expect(queue.length).toBe(1);
    expect(queue.shift()).toBe('c');
    expect(queue.shift()).toBeUndefined();
    expect(queue.length).toBe(0);
  });

  test('peeks at the head without removing it', () => {
    const queue = new CommandQueue<number>();
    queue.push(1);
    queue.push(2);
    expect(queue.peek()).toBe(1);
    expect(queue.peek()).toBe(1);
    expect(queue.length).toBe(2);
    queue.shift();
    expect(queue.peek()).toBe(2);
  });

  test('keeps working after being emptied', () => {
    const queue = new CommandQueue<number>();
    queue.push(1);
    queue.shift();
    queue.push(2);
    expect(queue.peek()).toBe(2);
    expect(queue.length).toBe(1);
    expect(queue.shift()).toBe(2);
  });

  test('drains what it holds, in order, and is empty afterwards', () => {
    const queue = new CommandQueue<number>();
    for (let i = 0; i < 5; i++) queue.push(i);
    queue.shift();
    expect(queue.drain()).toEqual([1, 2, 3, 4]);
    expect(queue.length).toBe(0);
    expect(queue.peek()).toBeUndefined();
    expect(queue.drain()).toEqual([]);
    queue.push(9);
    expect(queue.shift()).toBe(9);
  });

  test('keeps the order across thousands of interleaved pushes and shifts', () => {
    const queue = new CommandQueue<number>();
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 300; i++) queue.push(next++);
      for (let i = 0; i < 250; i++) expect(queue.shift()).toBe(expected++);
      expect(queue.length).toBe(next - expected);
      expect(queue.peek()).toBe(expected);
    }
    expect(queue.drain()).toEqual(Array.from({ length: next - expected }, (_, i) => expected + i));
  });

  test('does not grow without bound while it is never empty', () => {
    // A busy pipelined connection never drains to zero: the shifted slots must still be released.
    const queue = new CommandQueue<number>();
    queue.push(-1);
    for (let i = 0; i < 20_000; i++) {
      queue.push(i);
      expect(queue.shift()).toBe(i - 1);
    }
    expect(queue.length).toBe(1);
    expect(queue['items'].length).toBeLessThan(3000);
  });

  test('releases references to shifted items', () => {
    const queue = new CommandQueue<object>();
    const first = {};
    queue.push(first);
    queue.push({});
    queue.shift();
    expect(queue['items']).not.toContain(first);
  });

  test('popTail removes the newest items, in order, and leaves the rest in place', () => {
    const queue = new CommandQueue<number>();
    for (let i = 0; i < 5; i++) queue.push(i);
    queue.shift();
    expect(queue.popTail(2)).toEqual([3, 4]);
    expect(queue.length).toBe(2);
    expect(queue.popTail(10)).toEqual([1, 2]);
    expect(queue.length).toBe(0);
    queue.push(7);
    expect(queue.shift()).toBe(7);
  });
});
