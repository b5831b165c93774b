// Why a zap could not be sent, as a stable reason code (batch lines, DM replies).
export class ZapError extends Error {
  override name = 'ZapError';
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}
