// `capstan up`: a whole cluster in one process, on loopback, with the kubeconfig written.
// Today that is the API server over the sqlite store in ~/.capstan; the node agent joins this
// process when it exists (see the issues), and `up` then prints `node ready` as well.
import { parseServerFlags, runServerUntilSignal, serverUsage } from './server.js';

export async function upCommand(argv: string[]): Promise<number> {
  const flags = parseServerFlags(argv);
  if (flags === 'help') {
    process.stdout.write(serverUsage.replace('capstan server', 'capstan up'));
    return 0;
  }
  return runServerUntilSignal(flags, 'no node agent yet: this cluster serves the API only (kubectl works; pods stay Pending)');
}
