/**
 * Runs async tasks one at a time per key, in call order. Two REGISTERs for the
 * same AOR (a phone's refresh racing its de-registration, two phones of one
 * operator) must be decided against each other's results, not against the
 * same snapshot. Different keys run concurrently. An entry exists only while
 * work for its key is queued, so the map is bounded by the requests in flight.
 */
export class KeyedSerializer {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    // Run after the previous task whatever its outcome; its failure is its caller's.
    const result = prev.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with work queued or running. */
  get busyKeys(): number {
    return this.tails.size;
  }
}
