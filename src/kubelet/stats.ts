// Resource usage of the node and its pods, in the two shapes consumers read: the Summary API
// (`/stats/summary`, statsapi v1alpha1 JSON) and the resource metrics endpoint
// (`/metrics/resource`, Prometheus text) that metrics-server scrapes for `kubectl top`.
// CPU rates (usageNanoCores) come from the difference between two samples.
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Runtime } from './runtime/runtime.js';

export interface PodHandle {
  pod: Pod;
  containers: Array<{ name: string; id: string; startedAt?: Date }>;
}

interface Sample {
  at: number;
  cpuNanos: number;
}

function nodeCpuNanos(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system irq softirq steal: time spent working, in USER_HZ (100 per second).
    const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
    return busy * 1e7;
  } catch {
    return undefined;
  }
}

function nodeMemory(): { workingSet: number; available: number } {
  try {
    const text = readFileSync('/proc/meminfo', 'utf8');
    const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0) * 1024;
    const total = kb('MemTotal');
    const available = kb('MemAvailable');
    return { workingSet: total - available, available };
  } catch {
    return { workingSet: 0, available: totalmem() };
  }
}

export class StatsProvider {
  private readonly samples = new Map<string, Sample>();
  private readonly startedAt = new Date();

  constructor(
    private readonly nodeName: string,
    private readonly runtime: Runtime,
    private readonly simulated: boolean,
  ) {}

  private rate(key: string, cpuNanos: number, at: number): number | undefined {
    const prev = this.samples.get(key);
    this.samples.set(key, { at, cpuNanos });
    if (!prev || at <= prev.at) return undefined;
    return Math.max(0, Math.round(((cpuNanos - prev.cpuNanos) / (at - prev.at)) * 1e6));
  }

  private async containerUsage(pods: PodHandle[]): Promise<Array<{ pod: PodHandle; usage: Array<{ name: string; startedAt?: Date; cpu: number; mem: number }> }>> {
    const out = [];
    for (const p of pods) {
      const usage = [];
      for (const c of p.containers) {
        const s = await this.runtime.stats(c.id).catch(() => undefined);
        if (s) usage.push({ name: c.name, startedAt: c.startedAt, cpu: s.cpuUsageNanos, mem: s.memoryWorkingSetBytes });
      }
      out.push({ pod: p, usage });
    }
    return out;
  }

  async summary(pods: PodHandle[]): Promise<unknown> {
    const now = Date.now();
    const time = new Date(now).toISOString();
    const usage = await this.containerUsage(pods);
    let nodeCpu = this.simulated ? undefined : nodeCpuNanos();
    let nodeMem = this.simulated ? undefined : nodeMemory();
    if (this.simulated) {
      nodeCpu = usage.reduce((a, p) => a + p.usage.reduce((b, c) => b + c.cpu, 0), 0);
      const ws = usage.reduce((a, p) => a + p.usage.reduce((b, c) => b + c.mem, 0), 0);
      nodeMem = { workingSet: ws, available: 0 };
    }
    return {
      node: {
        nodeName: this.nodeName,
        startTime: this.startedAt.toISOString(),
        cpu: { time, usageCoreNanoSeconds: nodeCpu, usageNanoCores: nodeCpu === undefined ? undefined : this.rate('node', nodeCpu, now) },
        memory: { time, workingSetBytes: nodeMem?.workingSet, usageBytes: nodeMem?.workingSet, availableBytes: nodeMem?.available },
      },
      pods: usage.map(({ pod, usage: cs }) => {
        const cpu = cs.reduce((a, c) => a + c.cpu, 0);
        const mem = cs.reduce((a, c) => a + c.mem, 0);
        const uid = pod.pod.metadata?.uid ?? '';
        return {
          podRef: { name: pod.pod.metadata?.name, namespace: pod.pod.metadata?.namespace, uid },
          startTime: pod.pod.status?.startTime,
          containers: cs.map((c) => ({
            name: c.name,
            startTime: c.startedAt?.toISOString(),
            cpu: { time, usageCoreNanoSeconds: c.cpu, usageNanoCores: this.rate(`${uid}/${c.name}`, c.cpu, now) },
            memory: { time, workingSetBytes: c.mem, usageBytes: c.mem },
          })),
          cpu: { time, usageCoreNanoSeconds: cpu, usageNanoCores: this.rate(uid, cpu, now) },
          memory: { time, workingSetBytes: mem, usageBytes: mem },
        };
      }),
    };
  }

  /** The resource metrics endpoint's Prometheus text. */
  async resourceMetrics(pods: PodHandle[]): Promise<string> {
    const now = Date.now();
    const usage = await this.containerUsage(pods);
    const lines: string[] = [];
    const metric = (name: string, help: string, type: string, rows: Array<[string, number]>): void => {
      lines.push(`# HELP ${name} [STABLE] ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, v] of rows) lines.push(`${name}${labels} ${v} ${now}`);
    };
    const label = (o: Record<string, string>): string => `{${Object.entries(o).map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`).join(',')}}`;
    const cRows = (f: (c: { cpu: number; mem: number; startedAt?: Date }) => number): Array<[string, number]> =>
      usage.flatMap(({ pod, usage: cs }) => cs.map((c) => [label({ container: c.name, namespace: pod.pod.metadata?.namespace ?? '', pod: pod.pod.metadata?.name ?? '' }), f(c)] as [string, number]));
    const pRows = (f: (cs: Array<{ cpu: number; mem: number }>) => number): Array<[string, number]> =>
      usage.map(({ pod, usage: cs }) => [label({ namespace: pod.pod.metadata?.namespace ?? '', pod: pod.pod.metadata?.name ?? '' }), f(cs)]);
    metric('container_cpu_usage_seconds_total', 'Cumulative cpu time consumed by the container in core-seconds', 'counter', cRows((c) => c.cpu / 1e9));
    metric('container_memory_working_set_bytes', 'Current working set of the container in bytes', 'gauge', cRows((c) => c.mem));
    metric('container_start_time_seconds', 'Start time of the container since unix epoch in seconds', 'gauge', cRows((c) => (c.startedAt?.getTime() ?? 0) / 1000));
    const nodeCpu = this.simulated ? usage.reduce((a, p) => a + p.usage.reduce((b, c) => b + c.cpu, 0), 0) : (nodeCpuNanos() ?? 0);
    const nodeMem = this.simulated ? usage.reduce((a, p) => a + p.usage.reduce((b, c) => b + c.mem, 0), 0) : nodeMemory().workingSet;
    metric('node_cpu_usage_seconds_total', 'Cumulative cpu time consumed by the node in core-seconds', 'counter', [['', nodeCpu / 1e9]]);
    metric('node_memory_working_set_bytes', 'Current working set of the node in bytes', 'gauge', [['', nodeMem]]);
    metric('pod_cpu_usage_seconds_total', 'Cumulative cpu time consumed by the pod in core-seconds', 'counter', pRows((cs) => cs.reduce((a, c) => a + c.cpu, 0) / 1e9));
    metric('pod_memory_working_set_bytes', 'Current working set of the pod in bytes', 'gauge', pRows((cs) => cs.reduce((a, c) => a + c.mem, 0)));
    lines.push('# HELP scrape_error [STABLE] 1 if there was an error while getting container metrics, 0 otherwise', '# TYPE scrape_error gauge', 'scrape_error 0');
    return `${lines.join('\n')}\n`;
  }
}
