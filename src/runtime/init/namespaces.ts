// Joining namespaces given by path (config.json's "path", or a running container's /proc/<pid>/ns/*).
import { closeSync, openSync } from 'node:fs';
import { CLONE, NAMESPACES, sys } from '../sys/index.js';

export interface NamespaceJoin {
  type: string;
  path: string;
}

/** setns into each, in order. Put mount last when the paths are under /proc: it changes our root. */
export function joinNamespaces(joins: NamespaceJoin[]): void {
  for (const join of joins) {
    const ns = NAMESPACES[join.type as keyof typeof NAMESPACES];
    // Joining a mount namespace needs a private fs struct: libuv's threads share ours.
    if (join.type === 'mount') sys.unshare(CLONE.CLONE_FS);
    const fd = openSync(join.path, 'r');
    try {
      sys.setns(fd, ns.flag, join.path);
    } finally {
      closeSync(fd);
    }
  }
}
