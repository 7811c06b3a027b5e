import type { Log } from '../../lambda/aws/ports';

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  attributes: Record<string, unknown>;
}

/** A Log that keeps every entry, for assertions. */
export class RecordingLog implements Log {
  readonly entries: LogEntry[] = [];
  debug(message: string, attributes: Record<string, unknown>) {
    this.entries.push({ level: 'debug', message, attributes });
  }
  info(message: string, attributes: Record<string, unknown>) {
    this.entries.push({ level: 'info', message, attributes });
  }
  warn(message: string, attributes: Record<string, unknown>) {
    this.entries.push({ level: 'warn', message, attributes });
  }
  error(message: string, attributes: Record<string, unknown>) {
    this.entries.push({ level: 'error', message, attributes });
  }
  /** Everything logged, as one string, to search for leaked content. */
  text(): string {
    return JSON.stringify(this.entries);
  }
}
