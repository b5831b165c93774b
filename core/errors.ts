// Errors that carry a machine-readable code, so callers map them to protocol or user replies
// in one place instead of matching messages.
export class CodedError<Code extends string> extends Error {
  readonly code: Code;
  constructor(code: Code, message: string) {
    super(message);
    this.code = code;
  }
}
