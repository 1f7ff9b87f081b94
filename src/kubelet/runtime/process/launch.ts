// How a container process is started: the argv handed to spawn(), built from small sh scripts and
// util-linux tools, with no native code. Read right to left, a root-mode container is
//
//   sh JOIN <cgroup.procs files> -- nsenter --net=<netns> -- unshare -m -u -- sh SETUP <args> -- argv
//
// JOIN writes its own pid into the container's cgroups; nsenter and unshare exec rather than fork,
// and SETUP ends with `exec`, so that same pid becomes the user's process. It is thus inside its
// cgroups before the user's code runs, and it leads its own process group (spawn is detached), so
// stopping the container signals the whole group.
//
// SETUP runs inside the new mount and UTS namespaces: it sets the hostname, bind-mounts volumes
// (and the pod's resolv.conf/hosts), enters the working directory and looks the command up in the
// container's PATH. It reports on fd 3: a line with the reason it cannot start, or `ok` right
// before the exec. That is how a missing command is told from a command that fails (an exec error
// inside sh would otherwise be just exit code 127). Without root the same SETUP runs, minus
// namespaces and mounts, so errors read the same in both modes.
import type { Mount } from '../runtime.js';
import { shellQuote } from './host.js';

export interface LaunchTools {
  sh: string;
  nsenter?: string;
  unshare?: string;
  mount?: string;
  mkdir?: string;
  /** util-linux `script`, for a pseudo-terminal (tty: true). */
  script?: string;
}

export interface LaunchPlan {
  file: string;
  args: string[];
}

/** The line SETUP writes on fd 3 when everything is in place. */
export const READY_LINE = 'ok';

const JOIN = [
  'while [ "$1" != -- ]; do',
  '  echo $$ > "$1" || { echo "cannot join cgroup $1" >&2; exit 1; }',
  '  shift',
  'done',
  'shift',
  'exec "$@"',
].join('\n');

function setupScript(tools: LaunchTools): string {
  const mkdir = shellQuote(tools.mkdir ?? 'mkdir');
  const mount = shellQuote(tools.mount ?? 'mount');
  return [
    'set -f',
    'fail() { printf "%s\\n" "$1" >&3; exit 1; }',
    'hn=$1 wd=$2 cmd=$3 n=$4',
    'shift 4',
    'if [ -n "$hn" ]; then printf "%s" "$hn" > /proc/sys/kernel/hostname || fail "cannot set hostname $hn"; fi',
    'while [ "$n" -gt 0 ]; do',
    '  src=$1 dst=$2 mode=$3',
    '  shift 3',
    '  n=$((n - 1))',
    '  if [ -d "$src" ]; then',
    `    ${mkdir} -p -- "$dst" 2>/dev/null || [ -d "$dst" ] || fail "mount $src at $dst: cannot create the mount point"`,
    '  elif [ -e "$src" ]; then',
    '    dir=${dst%/*}',
    '    [ -n "$dir" ] || dir=/',
    `    ${mkdir} -p -- "$dir" 2>/dev/null || [ -d "$dir" ] || fail "mount $src at $dst: cannot create $dir"`,
    '    [ -e "$dst" ] || : > "$dst" || fail "mount $src at $dst: cannot create the mount point"',
    '  else',
    '    fail "mount $src at $dst: $src: no such file or directory"',
    '  fi',
    `  out=$(${mount} --bind "$src" "$dst" 2>&1) || fail "mount $src at $dst: $out"`,
    `  if [ "$mode" = ro ]; then out=$(${mount} -o remount,bind,ro "$dst" 2>&1) || fail "mount $dst read-only: $out"; fi`,
    'done',
    '[ -d "$wd" ] || fail "chdir to working directory \\"$wd\\": no such file or directory"',
    'cd -- "$wd" 2>/dev/null || fail "chdir to working directory \\"$wd\\": permission denied"',
    'case $cmd in',
    '  */*)',
    '    [ -e "$cmd" ] || fail "exec: \\"$cmd\\": stat $cmd: no such file or directory"',
    '    [ -d "$cmd" ] && fail "exec: \\"$cmd\\": is a directory"',
    '    [ -x "$cmd" ] || fail "exec: \\"$cmd\\": permission denied" ;;',
    '  *)',
    '    found=',
    '    IFS=:',
    '    for d in $PATH; do',
    '      [ -n "$d" ] || d=.',
    '      if [ -f "$d/$cmd" ] && [ -x "$d/$cmd" ]; then found=1; break; fi',
    '    done',
    '    unset IFS',
    '    [ -n "$found" ] || fail "exec: \\"$cmd\\": executable file not found in \\$PATH" ;;',
    'esac',
    `printf "${READY_LINE}\\n" >&3`,
    'exec 3>&-',
    'exec "$@"',
  ].join('\n');
}

/** argv wrapped to run on a fresh pseudo-terminal (script's exit code is the command's). */
export function withTty(tools: LaunchTools, argv: string[]): string[] {
  if (!tools.script) return argv;
  return [tools.script, '-qfec', `exec ${argv.map(shellQuote).join(' ')}`, '/dev/null'];
}

export interface ContainerLaunchOptions {
  tools: LaunchTools;
  /** cgroup.procs files to join (none: no cgroups). */
  cgroupProcs: string[];
  /** Path of the pod's network namespace (absent: the host's network). */
  netnsPath?: string;
  /** New mount and UTS namespaces (needs root). */
  isolate: boolean;
  hostname?: string;
  mounts: Mount[];
  workingDir: string;
  argv: string[];
  tty: boolean;
}

export function containerLaunch(o: ContainerLaunchOptions): LaunchPlan {
  const { tools } = o;
  // Parents before children, so a volume mounted inside another one is not hidden by it.
  const mounts = o.isolate ? [...o.mounts].sort((a, b) => depth(a.containerPath) - depth(b.containerPath)) : [];
  const setup = [
    tools.sh,
    '-c',
    setupScript(tools),
    'capstan-setup',
    o.isolate ? (o.hostname ?? '') : '',
    o.workingDir,
    o.argv[0],
    String(mounts.length),
    ...mounts.flatMap((m) => [m.hostPath, m.containerPath, m.readOnly ? 'ro' : 'rw']),
    ...(o.tty ? withTty(tools, o.argv) : o.argv),
  ];
  const chain: string[] = [];
  if (o.cgroupProcs.length > 0) chain.push(tools.sh, '-c', JOIN, 'capstan-join', ...o.cgroupProcs, '--');
  if (o.netnsPath && tools.nsenter) chain.push(tools.nsenter, `--net=${o.netnsPath}`, '--');
  if (o.isolate && tools.unshare) chain.push(tools.unshare, '-m', '-u', '--propagation', 'private', '--');
  chain.push(...setup);
  return { file: chain[0], args: chain.slice(1) };
}

export interface ExecLaunchOptions {
  tools: LaunchTools;
  cgroupProcs: string[];
  /** The container's process, whose namespaces to enter (root mode). */
  targetPid?: number;
  enterNet: boolean;
  enterMounts: boolean;
  argv: string[];
  tty: boolean;
}

/** A command run inside a running container: its cgroups, then its namespaces and directory. */
export function execLaunch(o: ExecLaunchOptions): LaunchPlan {
  const { tools } = o;
  const argv = o.tty ? withTty(tools, o.argv) : o.argv;
  const chain: string[] = [];
  if (o.cgroupProcs.length > 0) chain.push(tools.sh, '-c', JOIN, 'capstan-join', ...o.cgroupProcs, '--');
  if (o.targetPid !== undefined && tools.nsenter && (o.enterNet || o.enterMounts)) {
    chain.push(tools.nsenter, '-t', String(o.targetPid));
    if (o.enterNet) chain.push('-n');
    if (o.enterMounts) chain.push('-m', '-u', '--wd');
    chain.push('--');
  }
  chain.push(...argv);
  return { file: chain[0], args: chain.slice(1) };
}

function depth(p: string): number {
  return p.split('/').filter(Boolean).length;
}
