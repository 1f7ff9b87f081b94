// A binary heap keyed by pod uid, so queued pods can be updated or removed in O(log n).

export class KeyedHeap<T> {
  private readonly items: T[] = [];
  private readonly index = new Map<string, number>();

  constructor(private readonly key: (t: T) => string, private readonly less: (a: T, b: T) => boolean) {}

  get size(): number { return this.items.length; }

  has(k: string): boolean { return this.index.has(k); }

  get(k: string): T | undefined {
    const i = this.index.get(k);
    return i === undefined ? undefined : this.items[i];
  }

  peek(): T | undefined { return this.items[0]; }

  /** Adds, or replaces and re-positions the item with the same key. */
  addOrUpdate(t: T): void {
    const k = this.key(t);
    const i = this.index.get(k);
    if (i !== undefined) {
      this.items[i] = t;
      if (!this.up(i)) this.down(i);
      return;
    }
    this.items.push(t);
    this.index.set(k, this.items.length - 1);
    this.up(this.items.length - 1);
  }

  pop(): T | undefined {
    const n = this.items.length;
    if (n === 0) return undefined;
    const top = this.items[0]!;
    this.removeAt(0);
    return top;
  }

  delete(k: string): T | undefined {
    const i = this.index.get(k);
    if (i === undefined) return undefined;
    const t = this.items[i]!;
    this.removeAt(i);
    return t;
  }

  values(): readonly T[] { return this.items; }

  private removeAt(i: number): void {
    const last = this.items.length - 1;
    this.index.delete(this.key(this.items[i]!));
    if (i !== last) {
      this.items[i] = this.items[last]!;
      this.index.set(this.key(this.items[i]!), i);
      this.items.pop();
      if (!this.up(i)) this.down(i);
    } else {
      this.items.pop();
    }
  }

  private swap(i: number, j: number): void {
    const a = this.items[i]!;
    const b = this.items[j]!;
    this.items[i] = b;
    this.items[j] = a;
    this.index.set(this.key(b), i);
    this.index.set(this.key(a), j);
  }

  private up(i: number): boolean {
    let moved = false;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(this.items[i]!, this.items[p]!)) break;
      this.swap(i, p);
      i = p;
      moved = true;
    }
    return moved;
  }

  private down(i: number): void {
    const n = this.items.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      let m = l;
      const r = l + 1;
      if (r < n && this.less(this.items[r]!, this.items[l]!)) m = r;
      if (!this.less(this.items[m]!, this.items[i]!)) return;
      this.swap(i, m);
      i = m;
    }
  }
}
