// A one-at-a-time lane for async work. The kubelet starts many pods at once; the bridge, the
// IPAM file and the state file must each see one change at a time.
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    // The next task waits for this one whether it succeeded or not.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
