// Errors that carry a machine-readable code, so callers map them to protocol or user replies
// in one place instead of matching messages.
export class CodedError<Code extends string> extends Error {
  readonly code: Code;
  constructor(code: Code, message: string) {
    super(message);
    this.code = code;
  }
}

/** An error a route answers with this HTTP status and its message (in the route's own format). */
export class HttpStatusError extends Error {
  readonly httpStatus: number;
  constructor(httpStatus: number, message: string) {
    super(message);
    this.httpStatus = httpStatus;
  }
}

/** A schema's complaints as one line for the caller: `path: message; …` (`root` names the whole value). */
export function issuesText(error: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }> }, root: string, max = 5): string {
  return error.issues.slice(0, max).map((i) => `${i.path.map(String).join('.') || root}: ${i.message}`).join('; ');
}
