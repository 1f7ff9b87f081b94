// The kubelet's upgrade routes: `/exec|/attach/{ns}/{pod}/{container}` and
// `/portForward/{ns}/{pod}`. They find the pod's container (or sandbox) on this node and hand
// the connection to the protocol code in streaming/ with the runtime's session as the far end.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { KubeletView } from './server.js';
import { execRequestFromQuery, serveRemoteCommand } from './streaming/remote_command.js';
import { servePortForward } from './streaming/port_forward.js';
import { refuseUpgrade, type StreamingLogger } from './streaming/upgrade.js';

interface RouteOptions {
  kubelet: KubeletView;
  parts: string[];
  query: URLSearchParams;
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  log: (msg: string) => void;
}

function logger(log: (msg: string) => void): StreamingLogger {
  return {
    info: () => undefined,
    error: (obj, msg) => log(`${msg}${Object.keys(obj).length ? ` ${JSON.stringify(obj)}` : ''}`),
  };
}

export function serveExecLike(o: RouteOptions & { kind: 'exec' | 'attach' }): void {
  const [ns, podName, containerName] = o.parts;
  const w = ns && podName ? o.kubelet.worker(ns, podName) : undefined;
  if (!w) {
    refuseUpgrade(o.socket, { code: 404, message: `pod "${podName ?? ''}" in namespace "${ns ?? ''}" not found on node ${o.kubelet.nodeName}` });
    return;
  }
  const request = execRequestFromQuery(o.query);
  const container = containerName || request.container || w.currentPod()?.spec?.containers?.[0]?.name || '';
  const id = w.containerId(container);
  const running = id !== undefined && o.kubelet.runtime.containerStatus(id)?.state === 'running';
  if (!id || !running) {
    refuseUpgrade(o.socket, { code: 400, message: `container ${container} is not running in pod ${podName}` });
    return;
  }
  if (o.kind === 'exec' && request.command.length === 0) {
    refuseUpgrade(o.socket, { code: 400, message: 'you must specify at least one command for the container' });
    return;
  }
  serveRemoteCommand(
    { req: o.req, socket: o.socket, head: o.head },
    {
      ...request,
      logger: logger(o.log),
      start: () =>
        o.kind === 'exec'
          ? o.kubelet.runtime.exec(id, request.command, { stdin: request.stdin, tty: request.tty })
          : o.kubelet.runtime.attach(id, { stdin: request.stdin, tty: request.tty }),
    },
  );
}

export function servePortForwardUpgrade(o: RouteOptions): void {
  const [ns, podName] = o.parts;
  const w = ns && podName ? o.kubelet.worker(ns, podName) : undefined;
  const sandbox = w?.sandboxId();
  if (!w || !sandbox) {
    refuseUpgrade(o.socket, { code: 404, message: `pod "${podName ?? ''}" in namespace "${ns ?? ''}" is not running on node ${o.kubelet.nodeName}` });
    return;
  }
  servePortForward({ req: o.req, socket: o.socket, head: o.head }, { logger: logger(o.log), dial: (port: number) => o.kubelet.runtime.portForward(sandbox, port) });
}
