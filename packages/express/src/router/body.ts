import type { IncomingMessage } from 'node:http';
import { HttpError, RouterErrorCodes } from './http-errors.js';

/**
 * The request's JSON body: `req.body` when a body parser in front already read it, else read here,
 * up to `limit` bytes (413 past it, without reading further).
 */
export async function readJsonBody(
  req: IncomingMessage & { body?: unknown },
  limit: number,
): Promise<unknown> {
  const contentType = req.headers['content-type'];
  if (contentType !== undefined && !/^application\/([\w.+-]+\+)?json\b/i.test(contentType)) {
    throw new HttpError(415, RouterErrorCodes.UNSUPPORTED_MEDIA_TYPE, 'send the body as application/json');
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
