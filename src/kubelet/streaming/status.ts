// The metav1.Status an exec/attach ends with, on the error channel (v4+ protocols) or, for the
// older ones, only the message text of a failure. kubectl reads `reason: NonZeroExitCode` and the
// `ExitCode` cause to exit with the remote code ("command terminated with exit code 3"); any
// other Failure is printed as an error. The JSON mirrors what the upstream kubelet marshals:
// no kind/apiVersion, an empty metadata object.
import type { Status } from 'kubernetes-types/meta/v1.js';
import { internalError } from '../../api/errors.js';

export function successStatus(): Status {
  return { metadata: {}, status: 'Success' };
}

export function exitCodeStatus(code: number): Status {
  // ExecSession reports -1 for death by signal; kubectl rejects a negative ExitCode cause
  // ("invalid exit code value"), so that case is a plain Failure, printed as an error.
  // (containerd would report 128+signal; a runtime that knows the signal should do the same.)
  if (code < 0) return { metadata: {}, status: 'Failure', message: 'command terminated by a signal' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: exit status ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

/** The command could not be started (or the runtime failed): an InternalError, as upstream. */
export function startFailedStatus(err: unknown): Status {
  const text = err instanceof Error ? err.message : String(err);
  const s = internalError(`error executing command in container: ${text}`).toStatus();
  return { metadata: {}, status: 'Failure', message: s.message, reason: s.reason, details: s.details, code: s.code };
}

/** The bytes for the error channel: JSON for v4/v5, the bare message (failures only) before. */
export function encodeStatus(status: Status, jsonStatus: boolean): Buffer | undefined {
  if (jsonStatus) return Buffer.from(JSON.stringify(status));
  if (status.status === 'Success') return undefined;
  return Buffer.from(status.message ?? 'error');
}
