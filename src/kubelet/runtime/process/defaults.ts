// Defaults of the process runtime, in one place.
export const processRuntimeDefaults = {
  /** Grace between SIGTERM and SIGKILL when close() stops what still runs. */
  closeGraceMs: 2_000,
  /** After a container's main process exits: how long its output pipes may take to drain. */
  outputDrainMs: 2_000,
  /** Working directory when the container names none (as in an image without WORKDIR). */
  workingDir: '/',
  /** PATH when the container's env has none: the node's own. */
  path: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  /** Exit code reported for a container that could not start (as upstream runtimes report). */
  startErrorExitCode: 128,
} as const;
