// Status: what a plugin says about a pod at one extension point. A code (success, error,
// unschedulable, …) and human-readable reasons that end up, counted, in the FitError message.
// Hot paths return `undefined` for success so that filtering a node allocates nothing.

export enum Code {
  Success = 0,
  Error = 1,
  /** The pod does not fit now; preemption or a cluster change may help. */
  Unschedulable = 2,
  /** The pod does not fit and preempting pods on this node would not help. */
  UnschedulableAndUnresolvable = 3,
  /** Permit: hold the pod until allowed, rejected or timed out. */
  Wait = 4,
  /** PreFilter/PreScore: the plugin has nothing to do for this pod; skip its Filter/Score. */
  Skip = 5,
}

const CODE_NAMES = ['Success', 'Error', 'Unschedulable', 'UnschedulableAndUnresolvable', 'Wait', 'Skip'];

export class Status {
  constructor(
    readonly code: Code,
    readonly reasons: readonly string[] = [],
    /** The plugin that produced it, when known (set by the framework's error paths). */
    readonly plugin = '',
    readonly error?: Error,
  ) {}

  static success(): Status { return SUCCESS; }
  static unschedulable(...reasons: string[]): Status { return new Status(Code.Unschedulable, reasons); }
  static unresolvable(...reasons: string[]): Status { return new Status(Code.UnschedulableAndUnresolvable, reasons); }
  static skip(): Status { return SKIP; }
  static wait(): Status { return new Status(Code.Wait); }
  static error(err: Error | string, plugin = ''): Status {
    const e = typeof err === 'string' ? new Error(err) : err;
    return new Status(Code.Error, [e.message], plugin, e);
  }

  isSuccess(): boolean { return this.code === Code.Success; }
  isRejected(): boolean { return this.code === Code.Unschedulable || this.code === Code.UnschedulableAndUnresolvable; }
  message(): string { return this.reasons.join(', '); }
  withPlugin(plugin: string): Status { return new Status(this.code, this.reasons, plugin, this.error); }
  toString(): string { return `${CODE_NAMES[this.code]}: ${this.message()}`; }
}

const SUCCESS = new Status(Code.Success);
const SKIP = new Status(Code.Skip);

/** True for undefined (the hot-path spelling of success) and for a Success status. */
export function isSuccess(s: Status | undefined | null): boolean {
  return s === undefined || s === null || s.code === Code.Success;
}

/** An internal failure while scheduling (a plugin's Error status), as an exception-like value. */
export class SchedulingError extends Error {
  constructor(message: string, readonly plugin = '') {
    super(message);
    this.name = 'SchedulingError';
  }
}
