// `tslab search`: a registry's catalog API (GET /v2/_catalog, paged with ?n= and the Link header),
// filtered by a term. Docker Hub and many hosted registries do not offer the catalog: that is
// said in one line, not guessed around.
import { UsageError } from '../errors.js';
import type { TslabConfig } from '../config/config.js';
import { RegistryClient } from './registry/client.js';
import { CredentialStore } from './registry/credentials.js';

export async function searchCatalog(registry: string, term: string, config: TslabConfig, limit = 1000): Promise<string[]> {
  const client = new RegistryClient(registry, '', config, new CredentialStore(config.dataRoot));
  const names: string[] = [];
  let next: string | undefined = `_catalog?n=${Math.min(limit, 1000)}`;
  for (let page = 0; next && page < 100 && names.length < limit * 10; page++) {
    const res = await client.request(next);
    if (res.status === 404 || res.status === 401 || res.status === 403 || res.status === 405) {
      await res.body.dump();
      throw new UsageError(`${registry} does not offer its catalog (GET /v2/_catalog answered ${res.status}), so it cannot be searched; search its web site instead`);
    }
    if (res.status !== 200) return client.fail(res, 'the catalog');
    const body = JSON.parse(await res.body.text()) as { repositories?: string[] };
    names.push(...(body.repositories ?? []));
    const link = res.headers.link;
    const m = /<([^>]+)>;\s*rel="?next"?/.exec(Array.isArray(link) ? link.join(',') : (link ?? ''));
    next = m ? m[1]!.replace(/^\/v2\//, '') : undefined;
  }
  const t = term.toLowerCase();
  return names.filter((n) => n.toLowerCase().includes(t)).slice(0, limit);
}
