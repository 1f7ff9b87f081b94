// RoleBindings and ClusterRoleBindings: NAME ROLE AGE, wide USERS GROUPS SERVICEACCOUNTS.
// ROLE is `Kind/name`; service accounts read `namespace/name`. Roles and ClusterRoles have no
// printer upstream and get the default NAME / CREATED AT table.

import type { ClusterRoleBinding, RoleBinding } from 'kubernetes-types/rbac/v1.js';
import { since } from './format.js';
import { AGE_COLUMN, col, definePrinter, doc, NAME_COLUMN, type Printer } from './printer.js';

function bindingPrinter(kind: 'RoleBinding' | 'ClusterRoleBinding', label: string): Printer {
  return definePrinter<RoleBinding | ClusterRoleBinding>({
    columns: [
      NAME_COLUMN,
      col('Role', 'string', doc(`io.k8s.api.rbac.v1.${kind}`, 'roleRef')),
      AGE_COLUMN,
      col('Users', 'string', `Users in the ${label}`, 1),
      col('Groups', 'string', `Groups in the ${label}`, 1),
      col('ServiceAccounts', 'string', `ServiceAccounts in the ${label}`, 1),
    ],
    cells(b, { now }) {
      const users: string[] = [];
      const groups: string[] = [];
      const serviceAccounts: string[] = [];
      for (const s of b.subjects ?? []) {
        if (s.kind === 'User') users.push(s.name);
        else if (s.kind === 'Group') groups.push(s.name);
        else if (s.kind === 'ServiceAccount') serviceAccounts.push(`${s.namespace ?? ''}/${s.name}`);
      }
      return [
        b.metadata?.name ?? '',
        `${b.roleRef?.kind ?? ''}/${b.roleRef?.name ?? ''}`,
        since(b.metadata?.creationTimestamp, now),
        users.join(', '),
        groups.join(', '),
        serviceAccounts.join(', '),
      ];
    },
  });
}

export const roleBindingPrinter = bindingPrinter('RoleBinding', 'roleBinding');
export const clusterRoleBindingPrinter = bindingPrinter('ClusterRoleBinding', 'clusterRoleBinding');
