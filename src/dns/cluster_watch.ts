// Feeds the ClusterIndex from informers: Namespaces (CoreDNS answers NODATA rather than NXDOMAIN
// only for namespaces that exist), Services, EndpointSlices (discovery.k8s.io/v1) and, in
// `pods verified` mode only, Pods (as CoreDNS, which lists pods for no other purpose).
//
// Level-triggered: an event only names what to recompute (a Service key, a namespace, a pod);
// the entry is rebuilt from the informer's cache, so a missed or repeated event cannot leave the
// index out of step with the cache.
import type { Namespace, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { EventHandler, SharedInformerFactory } from '../client/informer.js';
import { objectKey, resourceRef } from '../client/resource_client.js';
import { ClusterIndex, endpointGroup, podAddresses, serviceInfo, sliceServiceKey, type EndpointGroup } from './cluster_index.js';
import type { PodMode } from './defaults.js';

const BY_SERVICE = 'dns.byServiceKey';

/** What the watch needs of an informer beyond its cache. */
interface SyncSource {
  hasSynced(): boolean;
  waitForSync(signal?: AbortSignal): Promise<boolean>;
}

export interface ClusterWatchOptions {
  factory: SharedInformerFactory;
  index: ClusterIndex;
  podMode: PodMode;
}

export interface ClusterWatch {
  hasSynced(): boolean;
  /** Resolves true once every informer behind the index has synced; false if `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean>;
  /** Removes the event handlers (the informers belong to the factory). */
  dispose(): void;
}

/** Calls `fn` with every object an event names (old and new of an update). */
function onEvery<T>(fn: (obj: T) => void): EventHandler<T> {
  return {
    onAdd: (obj) => fn(obj),
    onUpdate: (oldObj, newObj) => {
      fn(oldObj);
      if (newObj !== oldObj) fn(newObj);
    },
    onDelete: (obj) => fn(obj),
  };
}

export function watchCluster(options: ClusterWatchOptions): ClusterWatch {
  const { factory, index } = options;
  const namespaces = factory.informerFor<Namespace>(resourceRef('', 'v1', 'namespaces'));
  const services = factory.informerFor<Service>(resourceRef('', 'v1', 'services'));
  const slices = factory.informerFor<EndpointSlice>(resourceRef('discovery.k8s.io', 'v1', 'endpointslices'), {
    indexers: { [BY_SERVICE]: (s) => [sliceServiceKey(s) ?? ''] },
  });
  const pods = options.podMode === 'verified' ? factory.informerFor<Pod>(resourceRef('', 'v1', 'pods')) : undefined;

  const syncEndpoints = (key: string): void => {
    // Slices in name order, so answers do not depend on the order events arrived in.
    const list = slices.byIndex(BY_SERVICE, key).sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
    const groups: EndpointGroup[] = [];
    for (const s of list) {
      const g = endpointGroup(s);
      if (g) groups.push(g);
    }
    index.setEndpoints(key, groups);
  };

  const handles = [
    namespaces.addEventHandler(
      onEvery((ns) => {
        const name = ns.metadata?.name ?? '';
        index.setNamespace(name, namespaces.get('', name) !== undefined);
      }),
    ),
    services.addEventHandler(
      onEvery((svc) => {
        const key = objectKey(svc);
        const cur = services.getByKey(key);
        index.setService(key, cur ? serviceInfo(cur) : undefined);
      }),
    ),
    slices.addEventHandler(
      onEvery((slice) => {
        const key = sliceServiceKey(slice);
        if (key) syncEndpoints(key);
      }),
    ),
  ];
  if (pods) {
    handles.push(
      pods.addEventHandler(
        onEvery((pod) => {
          const key = objectKey(pod);
          const cur = pods.getByKey(key);
          index.setPod(key, cur ? podAddresses(cur) : undefined);
        }),
      ),
    );
  }
  const informers: SyncSource[] = [namespaces, services, slices, ...(pods ? [pods] : [])];
  return {
    hasSynced: () => informers.every((i) => i.hasSynced()),
    waitForSync: async (signal) => (await Promise.all(informers.map((i) => i.waitForSync(signal)))).every(Boolean),
    dispose: () => {
      for (const h of handles) h.dispose();
    },
  };
}
