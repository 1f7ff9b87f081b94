// `capstan up`: a whole cluster in one process, on loopback, with the kubeconfig written.
// Today that is the API server over the sqlite store in ~/.capstan; the node agent joins this
// process when it exists (see the issues), and `up` then prints `node ready` as well.
import { parseServerFlags, serverUsage, startServer } from './server.js';

export async function upCommand(argv: string[]): Promise<number> {
  const flags = parseServerFlags(argv);
  if (flags === 'help') {
    process.stdout.write(serverUsage.replace('capstan server', 'capstan up'));
    return 0;
  }
  const log = (msg: string): void => {
    process.stdout.write(`${msg}\n`);
  };
  const running = await startServer(flags, log);
  log('no node agent yet: this cluster serves the API only (kubectl works; pods stay Pending)');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  log('shutting down');
  await running.stop();
  return 0;
}
