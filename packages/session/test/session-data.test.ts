import { describe, expect, test } from 'vitest';
import { parseDate, sessionFrom } from '../src/session-data.js';

const json = { stringify: JSON.stringify, parse: JSON.parse };

describe('parseDate', () => {
  // Its own arithmetic must give exactly Date.parse's answer, whatever the text.
  const shapes = [
    '2026-12-07T15:16:29.479Z',
    '1970-01-01T00:00:00.000Z',
    '1969-12-31T23:59:59.999Z',
    '0000-01-01T00:00:00.000Z',
    '0000-03-01T00:00:00.000Z',
    '0099-12-31T23:59:59.999Z',
    '1600-02-29T12:00:00.000Z',
    '1900-02-29T12:00:00.000Z', // not a leap year: left to Date.parse
    '2000-02-29T12:00:00.000Z',
    '2024-02-29T00:00:00.000Z',
    '2025-02-29T00:00:00.000Z',
    '2026-04-31T00:00:00.000Z',
    '2026-12-31T23:59:59.999Z',
    '9999-12-31T23:59:59.999Z',
    '2026-00-10T00:00:00.000Z',
    '2026-13-10T00:00:00.000Z',
    '2026-01-00T00:00:00.000Z',
    '2026-01-32T00:00:00.000Z',
    '2026-01-10T24:00:00.000Z',
    '2026-01-10T23:60:00.000Z',
    '2026-01-10T23:59:60.000Z',
    '2026-01-10T23:59:59.000z',
    '2026-01-10T23:59:59.000+',
    '2026-01-10 23:59:59.000Z',
    '2026-01-1xT23:59:59.000Z',
    '+2026-01-10T23:59:59.00Z',
    '2026-01-10T23:59:59Z',
    '2026-01-10T23:59:59.0000Z',
    '2026-01-10',
    'Mon, 07 Dec 2026 15:16:29 GMT',
    'soon',
    '',
  ];
  test.each(shapes)('%s as Date.parse reads it', (text) => {
    expect(parseDate(text)).toBe(Date.parse(text));
  });

  test('every day of four hundred years of midnights and last milliseconds, as Date.parse', () => {
    const start = Date.UTC(1800, 0, 1);
    for (let day = 0; day < 146_097; day++) {
      for (const ms of [0, 86_399_999]) {
        const text = new Date(start + day * 86_400_000 + ms).toISOString();
        if (parseDate(text) !== Date.parse(text)) expect(parseDate(text)).toBe(Date.parse(text));
      }
    }
  });
});

describe('sessionFrom', () => {
  const now = Date.UTC(2026, 11, 7, 12);
  const cookie = (expires: unknown) => JSON.stringify({ cookie: { originalMaxAge: 1000, expires }, n: 1 });

  test('a session whose cookie expires later', () => {
    expect(sessionFrom(cookie('2026-12-07T12:00:00.001Z'), json, now)).toMatchObject({ n: 1 });
  });

  test('a miss once the cookie has expired', () => {
    expect(sessionFrom(cookie('2026-12-07T12:00:00.000Z'), json, now)).toBeUndefined();
    expect(sessionFrom(cookie('Mon, 07 Dec 2026 11:59:59 GMT'), json, now)).toBeUndefined();
  });

  test('a session with no expiry (a browser-session cookie)', () => {
    expect(sessionFrom(cookie(null), json, now)).toMatchObject({ n: 1 });
    expect(sessionFrom(JSON.stringify({ cookie: {} }), json, now)).toEqual({ cookie: {} });
  });

  test('not a session: an expiry that is not a date, or a maxAge that is not a number', () => {
    expect(sessionFrom(cookie('soon'), json, now)).toBeUndefined();
    expect(sessionFrom(cookie(5), json, now)).toBeUndefined();
    expect(sessionFrom(cookie({}), json, now)).toBeUndefined();
    expect(sessionFrom(JSON.stringify({ cookie: { originalMaxAge: 'x' } }), json, now)).toBeUndefined();
  });

  test('an object with a Date expiry (a custom serializer), and an invalid Date as none', () => {
    const parse = (text: string) => ({ ...JSON.parse(text), cookie: { expires: new Date(text.length) } });
    expect(sessionFrom('{}', { ...json, parse }, 1)).toMatchObject({ cookie: {} });
    expect(sessionFrom('{}', { ...json, parse }, 3)).toBeUndefined();
    const invalid = () => ({ cookie: { expires: new Date(Number.NaN) } });
    expect(sessionFrom('{}', { ...json, parse: invalid }, now)).toMatchObject({ cookie: {} });
  });
});
