// The clients of a ServiceAccount, as a Pod running as it would have them: for tests that run the
// controller with the chart's RBAC instead of the harness's admin.
import { KubeConfig } from '@kubernetes/client-node';
import { fromConfig, type KubeClients } from '../../../src/kube/client.js';
import { cluster, must } from './cluster.js';

/** The clients of a ServiceAccount, by a token the API server issued for it. */
export async function clientsOf(serviceAccount: string, namespace: string): Promise<KubeClients> {
  const token = (await must(cluster().kubectl(['create', 'token', serviceAccount, '-n', namespace, '--duration=1h']))).stdout.trim();
  const admin = cluster().kubeConfig;
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: admin.clusters,
    users: [{ name: serviceAccount, token }],
    contexts: [{ name: serviceAccount, cluster: admin.getCurrentCluster()?.name ?? '', user: serviceAccount }],
    currentContext: serviceAccount,
  });
  return fromConfig(config);
}
