// The seam between the kubelet and whatever runs containers (ARCHITECTURE.md, "Kubelet"). The
// kubelet decides *what* should run (restart policy, back-off, probes, env, volumes); a driver only
// knows *how*: `process` (host processes, with a netns and cgroups when root), `sim` (nothing
// runs; for scale tests) and, later, `containerd` over CRI. Drivers are listed in registry.ts.
//
// The model follows the CRI: a pod sandbox (network identity, pod IP) holds containers; each
// container is created, started, stopped and removed by id; the kubelet polls `containerStatus`
// and also hears `onExit` so a crash is reported at once (the PLEG of upstream, without polling
// lag). Container output goes to `config.logPath` in the CRI log format (logs.ts), which the
// kubelet reads for `kubectl logs`.
import type { Duplex, Readable, Writable } from 'node:stream';

export interface SandboxConfig {
  podUid: string;
  namespace: string;
  name: string;
  /** Pod uses the node's network (spec.hostNetwork, or a runtime without isolation). */
  hostNetwork: boolean;
  hostname: string;
  /** Directory for this pod's files (logs live under `<podDir>/logs`). */
  podDir: string;
  /** Content for the pod's /etc/resolv.conf and /etc/hosts, when the runtime can place them. */
  resolvConf?: string;
  hosts?: string;
}

export interface Sandbox {
  id: string;
  /** The pod's IP (the node IP with host networking). */
  ip: string;
}

export interface Mount {
  /** Path on the node holding the volume's content. */
  hostPath: string;
  containerPath: string;
  /** subPath is already joined into hostPath by the kubelet. */
  readOnly: boolean;
}

export interface ContainerResources {
  /** CPU limit in millicores (cfs quota), if any. */
  cpuLimitMillis?: number;
  /** CPU request in millicores (shares / weight), if any. */
  cpuRequestMillis?: number;
  memoryLimitBytes?: number;
  pidsLimit?: number;
}

export interface ContainerConfig {
  /** The container's name in the pod spec. */
  name: string;
  /** Restart count of this container (0 for the first run); part of the log file name. */
  attempt: number;
  /** The full argv (command then args, `$(VAR)` already expanded). Empty: nothing to run. */
  argv: string[];
  env: Array<[string, string]>;
  workingDir?: string;
  mounts: Mount[];
  resources: ContainerResources;
  /** CRI-format log file the driver writes stdout/stderr to. */
  logPath: string;
  stdin: boolean;
  stdinOnce: boolean;
  tty: boolean;
}

export type ContainerState = 'created' | 'running' | 'exited';

export interface ContainerStatus {
  id: string;
  name: string;
  state: ContainerState;
  createdAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  exitCode?: number;
  /** For exited containers: 'OOMKilled', 'Error' or 'Completed' (as upstream reports them). */
  reason?: string;
  message?: string;
  pid?: number;
}

export interface ExecOptions {
  stdin: boolean;
  tty: boolean;
}

/** A process started by `exec` or joined by `attach`. */
export interface ExecSession {
  stdin?: Writable;
  stdout: Readable;
  /** Absent with a TTY (stderr is merged into stdout then). */
  stderr?: Readable;
  /** Terminal size changes (TTY only). */
  resize(cols: number, rows: number): void;
  /** Resolves with the exit code (or -1 when killed by a signal) once the process ends. */
  exited: Promise<number>;
  kill(): void;
}

export interface ContainerStats {
  /** Cumulative CPU time in nanoseconds. */
  cpuUsageNanos: number;
  memoryWorkingSetBytes: number;
}

export interface RuntimeInfo {
  name: string;
  /** The runtime gives each pod its own network namespace and IP. */
  podNetwork: boolean;
  /** The runtime enforces cpu/memory/pids limits. */
  resourceLimits: boolean;
  /** Human words for a node condition when isolation is missing (e.g. "not root: ..."). */
  limitations?: string;
}

export interface Runtime {
  info(): RuntimeInfo;
  runPodSandbox(config: SandboxConfig): Promise<Sandbox>;
  /** Stops what is left of the pod (its processes, its network); idempotent. */
  stopPodSandbox(id: string): Promise<void>;
  removePodSandbox(id: string): Promise<void>;
  createContainer(sandboxId: string, config: ContainerConfig): Promise<string>;
  /** Throws RuntimeError (with the OS error's words) when the process cannot start. */
  startContainer(id: string): Promise<void>;
  /** SIGTERM, then SIGKILL after `timeoutSeconds`; resolves once the container has exited. */
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
  containerStatus(id: string): ContainerStatus | undefined;
  /** Called whenever a container exits (any cause). Returns an unsubscribe function. */
  onExit(listener: (id: string) => void): () => void;
  /** Runs `cmd` inside the container's namespaces, with its env and working directory. */
  exec(id: string, cmd: string[], options: ExecOptions): Promise<ExecSession>;
  /** The container's own stdin (when it was created with stdin: true) and live output. */
  attach(id: string, options: ExecOptions): Promise<ExecSession>;
  /** A TCP connection to `port` inside the pod's network. */
  portForward(sandboxId: string, port: number): Promise<Duplex>;
  stats(id: string): Promise<ContainerStats | undefined>;
  /** Stops every container and sandbox this runtime started. */
  close(): Promise<void>;
}

/** A container could not be created or started; `reason` is the waiting reason the kubelet reports. */
export class RuntimeError extends Error {
  constructor(
    readonly reason: 'RunContainerError' | 'CreateContainerError' | 'CreatePodSandboxError',
    message: string,
  ) {
    super(message);
    this.name = 'RuntimeError';
  }
}
