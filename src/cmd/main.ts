#!/usr/bin/env node
// The `capstan` binary: dispatches to one file per subcommand under src/cmd/.
const USAGE = `capstan: a Kubernetes-compatible cluster in one binary

Usage: capstan <command> [flags]

Commands:
  up       server and agent in one process: a single-node cluster, kubeconfig written
  server   API server, scheduler and controllers over a store (sqlite by default)
  agent    kubelet and proxy for one node, joined to a server
  sim      server plus N simulated nodes in one process

Run 'capstan <command> --help' for a command's flags.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    case 'up':
      return (await import('./up.js')).upCommand(rest);
    case 'server':
      return (await import('./server.js')).serverCommand(rest);
    case 'agent':
      return (await import('./agent.js')).agentCommand(rest);
    default:
      process.stderr.write(`capstan: unknown or not yet available command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`capstan: ${err instanceof Error ? err.message : String(err)}\n`);
  // A start that failed half-way may have left servers or timers behind: the command is over.
  process.exit(1);
}
