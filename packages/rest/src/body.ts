import type { IncomingMessage } from 'node:http';
import { HttpError, RouterErrorCodes } from './http-errors.js';

/**
 * Whether a Content-Type says JSON: `application/json`, with no parameter but `charset=utf-8` (RFC
 * 8259 §8.1: JSON between systems is UTF-8). Required of every write, present or not, because the
 * types a browser sends cross-site without a CORS preflight (Fetch Standard, "CORS-safelisted
 * request-header": `text/plain`, `application/x-www-form-urlencoded`, `multipart/form-data`, or no
 * Content-Type at all from a Blob without a type) must never write: behind cookie auth that is CSRF.
 * `+json` types are refused too: one type to accept keeps the rule easy to check.
 */
export function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const [type = '', ...parameters] = contentType.split(';');
  if (type.trim().toLowerCase() !== 'application/json') return false;
  return parameters.every((parameter) => {
    if (parameter.trim() === '') return true;
    const at = parameter.indexOf('=');
    const name = parameter.slice(0, at).trim().toLowerCase();
    const value = parameter
      .slice(at + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
    return at !== -1 && name === 'charset' && value === 'utf-8';
  });
}

/**
 * The request's JSON body: `req.body` when a body parser in front already read it, else read here,
 * up to `limit` bytes (413 past it, without reading further). 415 unless it says `application/json`.
 */
export async function readJsonBody(
  req: IncomingMessage & { body?: unknown },
  limit: number,
): Promise<unknown> {
  if (!isJson(req.headers['content-type'])) {
    throw new HttpError(
      415,
      RouterErrorCodes.UNSUPPORTED_MEDIA_TYPE,
      'send the body with Content-Type: application/json',
    );
  }
  if (req.body !== undefined && !Buffer.isBuffer(req.body) && typeof req.body !== 'string') return req.body;
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  const text = typeof req.body === 'string' ? req.body : Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new HttpError(400, RouterErrorCodes.BAD_REQUEST, 'the body is empty');
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, RouterErrorCodes.BAD_REQUEST, 'the body is not valid JSON');
  }
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, RouterErrorCodes.PAYLOAD_TOO_LARGE, `the body is larger than ${limit} bytes`);
}
