// `tslab image …` (ls, pull, push, rm, tag, inspect, history, load, save, import, prune) and
// `tslab login` / `tslab logout`: docker's image commands over tslab's OCI-layout store.
import { createReadStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { loadConfig } from '../../config/config.js';
// registration and `ls` need the store only: the registry client, layer tools and archives load in
// the actions that use them (src/cli/commands/index.ts)
import { openStore } from '../../image/open.js';
import { createProgress, formatBytes } from '../../image/progress.js';

const pull = (): Promise<typeof import('../../image/pull.js')> => import('../../image/pull.js');
const gc = (): Promise<typeof import('../../image/gc.js')> => import('../../image/gc.js');
const archive = (): Promise<typeof import('../../image/archive.js')> => import('../../image/archive.js');
const credentials = (): Promise<typeof import('../../image/registry/credentials.js')> => import('../../image/registry/credentials.js');
import { displayName, type ResolvedImage } from '../../image/store.js';
import { formatReference, parseReference } from '../../image/reference.js';
import { parsePlatform, REPO_DIGEST } from '../../image/media.js';
import { shortId } from '../../image/digest.js';
import { table, timeAgo } from '../../image/format.js';
import { writeOut } from '../output.js';

function imageSize(image: ResolvedImage): number {
  return image.manifest.layers.reduce((n, l) => n + l.size, 0) + image.manifest.config.size;
}

function mustFind(query: string): ResolvedImage {
  const image = openStore().find(query);
  if (!image) throw new UsageError(`no image "${query}" in the store: see \`tslab image ls\` or pull it with \`tslab image pull ${query}\``);
  return image;
}

function inputStream(path: string | undefined): Readable {
  if (!path || path === '-') {
    if (process.stdin.isTTY) throw new UsageError('reading an archive from a terminal makes no sense: use -i FILE or redirect stdin');
    return process.stdin;
  }
  if (!existsSync(path)) throw new UsageError(`no such file: ${path}`);
  return createReadStream(path);
}

export function registerImage(program: Command, binName: string): void {
  if (binName !== 'tslab') return;
  const image = program.command('image').description('manage images: pull, push, list, inspect, load and save (an OCI layout under the data root)');

  image.command('ls').alias('list').description('list images')
    .option('-q, --quiet', 'only image IDs')
    .option('--digests', 'show manifest digests')
    .action((opts: { quiet?: boolean; digests?: boolean }) => {
      const store = openStore();
      const rows: string[][] = [];
      const ids: string[] = [];
      for (const entry of store.list()) {
        let resolved: ResolvedImage;
        try {
          resolved = store.resolveDescriptor(entry.descriptor);
        } catch {
          continue; // an index entry tslab did not write: skopeo may have put it there
        }
        const { repository, tag } = displayName(entry.name);
        const id = shortId(resolved.configDigest);
        ids.push(id);
        const row = [repository, tag];
        if (opts.digests) row.push(entry.descriptor.annotations?.[REPO_DIGEST] ?? entry.descriptor.digest);
        row.push(id, timeAgo(resolved.config.created), formatBytes(imageSize(resolved)));
        rows.push(row);
      }
      if (opts.quiet) {
        writeOut([...new Set(ids)].map((i) => `${i}\n`).join(''));
        return;
      }
      const headers = ['REPOSITORY', 'TAG', ...(opts.digests ? ['DIGEST'] : []), 'IMAGE ID', 'CREATED', 'SIZE'];
      writeOut(table(headers, rows));
    });

  image.command('pull <image>').description('pull an image from a registry')
    .option('--platform <os/arch[/variant]>', 'which platform of a multi-platform image')
    .option('-q, --quiet', 'no progress output')
    .action(async (ref: string, opts: { platform?: string; quiet?: boolean }) => {
      const platform = opts.platform ? parsePlatformOrFail(opts.platform) : undefined;
      const store = openStore();
      const result = await (await pull()).pullImage(store, ref, { platform, progress: createProgress(process.stderr, opts.quiet ?? false) });
      if (!opts.quiet) process.stderr.write(`Digest: ${result.repoDigest.split('@')[1]}\nStatus: downloaded ${result.name}\n`);
      writeOut(`${result.name}\n`);
    });

  image.command('push <image> [target]').description('push an image to a registry (optionally under another name)')
    .option('-q, --quiet', 'no progress output')
    .action(async (source: string, target: string | undefined, opts: { quiet?: boolean }) => {
      const digest = await (await import('../../image/push.js')).pushImage(openStore(), source, target, { progress: createProgress(process.stderr, opts.quiet ?? false) });
      writeOut(`${formatReference(parseReference(target ?? source))}@${digest}\n`);
    });

  image.command('tag <source> <target>').description('give an image another name')
    .action(async (source: string, target: string) => {
      const found = mustFind(source);
      const ref = parseReference(target);
      if (ref.digest) throw new UsageError(`"${target}": a tag cannot contain a digest`);
      await openStore().tag(formatReference(ref), found.descriptor);
    });

  image.command('rm <images...>').alias('remove').description('remove images (and their unused blobs and snapshots)')
    .option('-f, --force', 'remove every name of an image given by ID, even if containers use it')
    .action(async (queries: string[], opts: { force?: boolean }) => {
      const store = openStore();
      for (const query of queries) {
        const found = mustFind(query);
        let byName: string | undefined;
        try {
          const n = formatReference(parseReference(query));
          if (found.names.includes(n)) byName = n;
        } catch {
          // an ID
        }
        const names = byName ? [byName] : found.names;
        if (!byName && names.length > 1 && !opts.force) {
          throw new UsageError(`image ${query} has several names (${names.join(', ')}): remove them by name or use -f`);
        }
        const users = containersUsing(store.dataRoot, found.configDigest);
        if (users.length > 0 && !opts.force && found.names.length === names.length) {
          throw new UsageError(`image ${query} is used by container(s) ${users.join(', ')}: remove them first (tslab container rm) or use -f`);
        }
        for (const n of names) {
          await store.untag(n);
          writeOut(`Untagged: ${n}\n`);
        }
      }
      const result = await (await gc()).collectGarbage(store);
      if (result.blobs + result.snapshots > 0) writeOut(`Deleted: ${result.blobs} blobs (${formatBytes(result.bytes)}), ${result.snapshots} snapshots\n`);
    });

  image.command('prune').description('remove blobs and snapshots that no image or container uses')
    .action(async () => {
      const result = await (await gc()).collectGarbage(openStore());
      writeOut(`Deleted: ${result.blobs} blobs (${formatBytes(result.bytes)}), ${result.snapshots} snapshots\n`);
    });

  image.command('inspect <images...>').description('show image details as JSON')
    .action(async (queries: string[]) => {
      const { imageChainIds } = await import('../../image/snapshots.js');
      const result = queries.map((q) => {
        const found = mustFind(q);
        const entry = openStore().list().find((e) => e.descriptor.digest === found.manifestDigest);
        const repoDigest = entry?.descriptor.annotations?.[REPO_DIGEST];
        return {
          Id: found.configDigest,
          RepoTags: found.names,
          RepoDigests: repoDigest ? found.names.map((n) => `${n.replace(/[:@][^/]*$/, '')}@${repoDigest}`) : [],
          ManifestDigest: found.manifestDigest,
          ManifestMediaType: found.descriptor.mediaType,
          Created: found.config.created,
          Author: found.config.author,
          Architecture: found.config.architecture,
          Variant: found.config.variant,
          Os: found.config.os,
          Config: found.config.config ?? {},
          Size: imageSize(found),
          RootFS: { Type: 'layers', Layers: found.config.rootfs?.diff_ids ?? [] },
          Layers: found.manifest.layers,
          Snapshots: imageChainIds(found.config),
        };
      });
      writeOut(`${JSON.stringify(result, null, 2)}\n`);
    });

  image.command('history <image>').description('show the history of an image')
    .option('--no-trunc', 'do not truncate output')
    .action((query: string, opts: { trunc: boolean }) => {
      const found = mustFind(query);
      const layers = [...found.manifest.layers];
      const rows: string[][] = [];
      const history = found.config.history ?? [];
      const entries = history.map((h) => ({ h, size: h.empty_layer ? 0 : (layers.shift()?.size ?? 0) }));
      entries.reverse().forEach(({ h, size }, i) => {
        const by = (h.created_by ?? '').replace(/\s+/g, ' ');
        rows.push([
          i === 0 ? shortId(found.configDigest) : '<missing>',
          timeAgo(h.created),
          opts.trunc && by.length > 45 ? `${by.slice(0, 44)}…` : by,
          formatBytes(size),
          h.comment ?? '',
        ]);
      });
      writeOut(table(['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'], rows));
    });

  image.command('load').description('load images from a tar written by docker save or skopeo (docker-archive or oci-archive)')
    .option('-i, --input <file>', 'read from FILE instead of stdin')
    .action(async (opts: { input?: string }) => {
      const names = await (await archive()).loadArchive(openStore(), inputStream(opts.input));
      writeOut(names.map((n) => `Loaded image: ${n}\n`).join(''));
    });

  image.command('save <images...>').description('write images to an OCI archive (with docker\'s manifest.json too)')
    .option('-o, --output <file>', 'write to FILE instead of stdout')
    .action(async (names: string[], opts: { output?: string }) => {
      const { saveArchive, outputStream } = await archive();
      await saveArchive(openStore(), names, outputStream(opts.output));
    });

  image.command('import <file> <name>').description('make a one-layer image from a root filesystem tarball (- for stdin)')
    .action(async (file: string, name: string) => {
      const id = await (await archive()).importRootfs(openStore(), inputStream(file), name);
      writeOut(`${id}\n`);
    });

  image.command('build-busybox [name]').description('build the embedded busybox image from the host\'s busybox-static')
    .action(async (name: string | undefined) => {
      const ref = formatReference(parseReference(name ?? 'busybox'));
      const d = await (await import('../../image/busybox.js')).buildBusyboxImage(openStore(), ref);
      writeOut(`${ref}@${d.digest}\n`);
    });
}

function parsePlatformOrFail(text: string): ReturnType<typeof parsePlatform> {
  try {
    return parsePlatform(text);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Containers whose record names this image ID (their rootfs stacks its snapshots). */
function containersUsing(dataRoot: string, imageId: string): string[] {
  const dir = `${dataRoot}/containers`;
  if (!existsSync(dir)) return [];
  const users: string[] = [];
  for (const name of readdirSync(dir)) {
    try {
      const record = JSON.parse(readFileSync(`${dir}/${name}/container.json`, 'utf8')) as { imageId?: string; name?: string };
      if (record.imageId === imageId) users.push(record.name ?? name.slice(0, 12));
    } catch {
      // being created or removed
    }
  }
  return users;
}


async function readSecret(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export function registerLogin(program: Command, binName: string): void {
  if (binName !== 'tslab') return;
  program.command('login <registry>').description('save credentials for a registry (checked against it first)')
    .option('-u, --username <name>', 'user name')
    .option('-p, --password <password>', 'password (prefer --password-stdin)')
    .option('--password-stdin', 'read the password from stdin')
    .action(async (registry: string, opts: { username?: string; password?: string; passwordStdin?: boolean }) => {
      if (!opts.username) throw new UsageError('give a user name with -u NAME');
      const password = opts.passwordStdin ? await readSecret() : opts.password;
      if (!password) throw new UsageError('give a password with --password-stdin (or -p)');
      const ref = parseReference(`${registry}/tslab-login-probe`);
      if (ref.registry !== registry && !(registry === 'docker.io' && ref.registry === 'docker.io')) {
        throw new UsageError(`"${registry}" is not a registry host[:port]`);
      }
      const config = loadConfig();
      const creds = new (await credentials()).CredentialStore(config.dataRoot);
      const previous = creds.get(ref.registry);
      creds.set(ref.registry, { username: opts.username, password });
      try {
        await (await pull()).clientFor(ref, config).ping();
      } catch (err) {
        if (previous) creds.set(ref.registry, previous);
        else creds.remove(ref.registry);
        throw new UsageError(`login to ${ref.registry} failed: ${(err as Error).message}`);
      }
      writeOut('Login Succeeded\n');
    });
  program.command('logout <registry>').description('forget saved credentials for a registry')
    .action(async (registry: string) => {
      const removed = new (await credentials()).CredentialStore(loadConfig().dataRoot).remove(registry);
      writeOut(removed ? `Removed login credentials for ${registry}\n` : `Not logged in to ${registry}\n`);
    });
}
