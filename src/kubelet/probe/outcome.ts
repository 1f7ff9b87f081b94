// What one run of one probe handler says, before the worker applies thresholds. Upstream
// distinguishes four results and we keep them: `warning` (an HTTP probe that stopped at a redirect
// to another host) counts as success but is worth an Event; `error` means the probe could not be
// run at all (unresolvable port, no handler, the exec call itself broke) and upstream throws
// such a result away instead of counting it towards a threshold.

export type ProbeOutcomeResult = 'success' | 'warning' | 'failure' | 'error';

export interface ProbeOutcome {
  result: ProbeOutcomeResult;
  /** Body, command output or failure words, as upstream puts them after "<Kind> probe failed: ". */
  output: string;
}

/** Upstream limits what it keeps of a response body or command output to 10 KiB. */
export const MAX_PROBE_OUTPUT_BYTES = 10 * 1024;

/** The User-Agent of every HTTP and gRPC probe (upstream: kube-probe/<major>.<minor>). */
export const PROBE_USER_AGENT = 'kube-probe/1.32';

export function outcome(result: ProbeOutcomeResult, output: string): ProbeOutcome {
  return { result, output };
}
