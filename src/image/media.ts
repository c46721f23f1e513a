// OCI and Docker media types and the JSON shapes tslab reads and writes.

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayerNonDistGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

/** Every manifest type a registry may answer with, for the Accept header. */
export const MANIFEST_ACCEPT = [MEDIA.ociIndex, MEDIA.ociManifest, MEDIA.dockerManifestList, MEDIA.dockerManifest];

export const REF_NAME = 'org.opencontainers.image.ref.name';
export const CONTAINERD_NAME = 'io.containerd.image.name';
export const REPO_DIGEST = 'io.tslab.image.repo-digest';
export const TAGGED_AT = 'io.tslab.image.tagged';

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
  urls?: string[];
}

export interface Index {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export interface Manifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  comment?: string;
  empty_layer?: boolean;
  author?: string;
}

export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  config?: {
    User?: string;
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    WorkingDir?: string;
    Labels?: Record<string, string> | null;
    ExposedPorts?: Record<string, object>;
    Volumes?: Record<string, object>;
    StopSignal?: string;
  };
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: HistoryEntry[];
}

export function isIndexType(mediaType: string | undefined): boolean {
  return mediaType === MEDIA.ociIndex || mediaType === MEDIA.dockerManifestList;
}

export function isManifestType(mediaType: string | undefined): boolean {
  return mediaType === MEDIA.ociManifest || mediaType === MEDIA.dockerManifest;
}

export type Compression = 'gzip' | 'zstd' | 'none';

/** How a layer is compressed, from its media type; undefined for types tslab cannot unpack. */
export function layerCompression(mediaType: string): Compression | undefined {
  if (mediaType.endsWith('+gzip') || mediaType.endsWith('.tar.gzip')) return 'gzip';
  if (mediaType.endsWith('+zstd')) return 'zstd';
  if (mediaType.endsWith('.tar') || mediaType === 'application/vnd.docker.image.rootfs.diff.tar') return 'none';
  return undefined;
}

/** Maps Node's process.arch to OCI architecture names (and the variant for 32-bit arm). */
export function hostPlatform(): Platform {
  const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  const p: Platform = { os: 'linux', architecture: arch[process.arch] ?? process.arch };
  if (p.architecture === 'arm') p.variant = 'v7';
  if (p.architecture === 'arm64') p.variant = 'v8';
  return p;
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/** "linux/arm64/v8" → platform; throws on nonsense. */
export function parsePlatform(text: string): Platform {
  const parts = text.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9._-]+$/.test(p))) {
    throw new Error(`invalid platform "${text}": use os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8`);
  }
  return { os: parts[0]!, architecture: parts[1]!, variant: parts[2] };
}
