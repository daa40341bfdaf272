import { HTTPException } from 'hono/http-exception';
import { describe, expect, it } from 'vitest';
import { SluiceError } from '../index.js';
import { ApiError, errorAnswer } from './api-errors.js';

describe('errorAnswer: the one mapping from failures to HTTP answers', () => {
  it('maps each engine code to its status, keeping the code and message', () => {
    const cases = [
      ['not_found', 404],
      ['sync_locked', 409],
      ['run_finished', 409],
      ['conflict', 409],
      ['state_error', 503],
    ] as const;
    for (const [code, status] of cases) {
      expect(errorAnswer(new SluiceError(code as never, `a ${code}`), 'malformed')).toEqual({
        status,
        code,
        message: `a ${code}`,
      });
    }
  });

  it('reads usage as the route says: a malformed request (400) or a refused one (422)', () => {
    const usage = new SluiceError('usage', 'a full resync is refused');
    expect(errorAnswer(usage, 'malformed').status).toBe(400);
    expect(errorAnswer(usage, 'refused').status).toBe(422);
  });

  it('answers anything else with a 500 that tells nothing of it', () => {
    for (const error of [
      new Error('ENOENT: /srv/secret/path'),
      new SluiceError('source_error', 'password authentication failed for user "x"'),
      new SluiceError('destination_fatal', 'HTTP 401'),
      'a string',
    ]) {
      expect(errorAnswer(error, 'malformed')).toEqual({
        status: 500,
        code: 'internal',
        message: 'internal error',
      });
    }
  });

  it("turns hono's plain-text refusals into ours: 415 and 400 are malformed requests", () => {
    expect(
      errorAnswer(new HTTPException(415, { message: 'Unsupported Media Type' }), 'malformed'),
    ).toMatchObject({
      status: 400,
      code: 'invalid_request',
    });
    expect(
      errorAnswer(new HTTPException(400, { message: 'Malformed JSON in request body' }), 'refused'),
    ).toEqual({
      status: 400,
      code: 'invalid_request',
      message: 'Malformed JSON in request body',
    });
  });

  it('passes the API’s own answers through', () => {
    expect(errorAnswer(new ApiError(403, 'forbidden', 'weak'), 'malformed')).toEqual({
      status: 403,
      code: 'forbidden',
      message: 'weak',
    });
  });
});
