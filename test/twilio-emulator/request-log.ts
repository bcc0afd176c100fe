/** The log of API requests the emulator answered (admin requests are not logged). */

export interface LoggedRequest {
  /** When the request arrived (ms since the epoch). */
  readonly at: number;
  readonly method: string;
  /** The path, without the query. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** The basic-auth user (AC or SK SID) when one was sent; the password is never kept. */
  readonly authUser?: string;
  /** The HTTP status answered; 0 when no answer was sent (a `drop` fault, or the client went away). */
  readonly status: number;
}

export class RequestLog {
  private readonly entries: LoggedRequest[] = [];

  add(entry: LoggedRequest): void {
    this.entries.push(Object.freeze({ ...entry, query: Object.freeze({ ...entry.query }) }));
  }

  all(): ReadonlyArray<LoggedRequest> {
    return [...this.entries];
  }

  clear(): void {
    this.entries.length = 0;
  }

  /** The distinct basic-auth users seen, in order of first use. */
  distinctAuthUsers(): string[] {
    const seen = new Set<string>();
    for (const e of this.entries) if (e.authUser !== undefined) seen.add(e.authUser);
    return [...seen];
  }
}
