/** An error the API answers with a given status and stable code. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(readonly statusCode: number, readonly code: string, message: string, readonly errno?: string) {
    super(message);
  }
}

export const badRequest = (message: string) => new HttpError(400, 'BAD_REQUEST', message);
