// pino JSON logs; pretty in a terminal. Child loggers carry request and job ids.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(opts: { level: string; pretty?: boolean }): Logger {
  const pretty = opts.pretty ?? process.stdout.isTTY;
  return pino({
    level: opts.level,
    base: { pid: process.pid },
    redact: { paths: ['*.secret', '*.password', '*.macaroon', '*.masterKey', 'secret', 'password'], censor: '[redacted]' },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l' } } } : {}),
  });
}
