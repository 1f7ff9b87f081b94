// CycleState: per-pod scratch space shared by the plugins of one scheduling cycle (PreFilter
// computes, Filter and Score read). Values that preemption may mutate implement `clone()`.

export interface StateData {
  clone(): StateData;
}

export class CycleState {
  private readonly data = new Map<string, unknown>();
  /** Plugins whose PreFilter returned Skip: their Filter is not run. */
  skipFilterPlugins: Set<string> | undefined;
  /** Plugins whose PreScore returned Skip: their Score is not run. */
  skipScorePlugins: Set<string> | undefined;

  read<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }

  write(key: string, value: unknown): void {
    this.data.set(key, value);
  }

  delete(key: string): void {
    this.data.delete(key);
  }

  /** A copy whose cloneable values are deep-copied (preemption dry runs mutate the copy). */
  clone(): CycleState {
    const c = new CycleState();
    for (const [k, v] of this.data) {
      c.data.set(k, isStateData(v) ? v.clone() : v);
    }
    c.skipFilterPlugins = this.skipFilterPlugins;
    c.skipScorePlugins = this.skipScorePlugins;
    return c;
  }
}

function isStateData(v: unknown): v is StateData {
  return typeof v === 'object' && v !== null && typeof (v as { clone?: unknown }).clone === 'function';
}
