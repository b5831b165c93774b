// The one root of the service's errors: each carries a machine-readable code (a string, or a
// number where the protocol's codes are numbers, as Cashu's are), so each protocol maps errors
// to its replies in one place instead of matching messages.
export class CodedError<Code extends string | number = string | number> extends Error {
  readonly code: Code;
  constructor(code: Code, message: string) {
    super(message);
    this.code = code;
  }
}

/** An error a route answers with this HTTP status (its code) and its message (in the route's own format). */
export class HttpStatusError extends CodedError<number> {
  override name = 'HttpStatusError';
  get httpStatus(): number {
    return this.code;
  }
}

/** A schema's complaints as one line for the caller: `path: message; …` (`root` names the whole value). */
export function issuesText(error: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }> }, root: string, max = 5): string {
  return error.issues.slice(0, max).map((i) => `${i.path.map(String).join('.') || root}: ${i.message}`).join('; ');
}
