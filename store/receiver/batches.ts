interface Pending<D, R> {
  readonly item: D;
  readonly keys: readonly string[];
  readonly resolve: (r: R) => void;
  readonly reject: (e: unknown) => void;
}

export interface BatchesOptions<D, R> {
  /** Writes a batch in one statement (committed when it resolves): one result per item, in order. */
  readonly run: (batch: readonly D[]) => Promise<readonly R[]>;
  /** What an item writes that another may too (its delivery, its consent row): such items never share a batch. */
  readonly keys: (item: D) => readonly string[];
  readonly maxBatch: number;
  /**
   * Batches written at once, at most. Each takes a connection of its own; a connection opened for a
   * burst is a cold PostgreSQL backend (its first statements plan and fill caches, tens of ms on a
   * busy machine), and items that wait for a batch to commit go out together in the next.
   */
  readonly maxInFlight: number;
}

/**
 * Group commit for a database where each statement commits on its own (PostgreSQL, autocommit):
 * the writes that arrive in one turn of the event loop go out as one statement, so one round trip,
 * one commit and one WAL flush serve them all, and each caller still resolves only after the commit
 * that holds its write. An item that shares a key with one in a batch not yet committed waits for
 * the next batch, so writes of one key keep their order, and one statement never writes a row twice.
 * While maxInFlight batches are being written, new items wait and go out together in the next.
 * A batch that fails is tried again item by item, so that one bad item fails alone.
 */
export class Batches<D, R> {
  private queue: Pending<D, R>[] = [];
  private readonly busy = new Set<string>();
  private scheduled = false;
  private inFlight = 0;

  constructor(private readonly options: BatchesOptions<D, R>) {}

  add(item: D): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, keys: this.options.keys(item), resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // After the loop's ready I/O callbacks: the deliveries read from sockets in this turn join in.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const waiting: Pending<D, R>[] = [];
    let batch: Pending<D, R>[] = [];
    for (const p of this.queue) {
      const full = batch.length === 0 && this.inFlight >= this.options.maxInFlight;
      if (full || p.keys.some((k) => this.busy.has(k))) {
        waiting.push(p);
        continue;
      }
      for (const k of p.keys) this.busy.add(k);
      batch.push(p);
      if (batch.length === this.options.maxBatch) {
        void this.write(batch);
        batch = [];
      }
    }
    if (batch.length > 0) void this.write(batch);
    this.queue = waiting;
  }

  private async write(batch: readonly Pending<D, R>[]): Promise<void> {
    this.inFlight++;
    try {
      const results = await this.options.run(batch.map((p) => p.item));
      batch.forEach((p, i) => p.resolve(results[i] as R));
    } catch (e) {
      if (batch.length === 1) (batch[0] as Pending<D, R>).reject(e);
      else {
        // Nothing of the batch committed (or, if the answer was lost after COMMIT, each item is
        // now found as the repeat it is).
        await Promise.all(
          batch.map((p) => this.options.run([p.item]).then((r) => p.resolve(r[0] as R), p.reject)),
        );
      }
    } finally {
      this.inFlight--;
      for (const p of batch) for (const k of p.keys) this.busy.delete(k);
      if (this.queue.length > 0) this.schedule();
    }
  }
}
