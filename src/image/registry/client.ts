// A client for the OCI distribution API on node:http (transport.ts): ping, anonymous / Bearer /
// Basic auth, manifests and blobs, redirects that drop Authorization when the host changes,
// retries with backoff. Loopback registries and those listed as insecure are reached over plain HTTP.
import type { Readable } from 'node:stream';
import type { TslabConfig } from '../../config/config.js';
import { UsageError } from '../../errors.js';
import { isLoopbackRegistry } from '../reference.js';
import { parseChallenges, type Challenge } from './challenge.js';
import type { Credential, CredentialStore } from './credentials.js';
import { ENV } from '../../env.js';
import { send, type ResponseBody } from './transport.js';

export interface RegistryResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: ResponseBody;
  url: URL;
}

export type Body = Buffer | (() => Readable) | undefined;

export interface RequestOptions {
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  body?: Body;
  /** repository:<name>:<actions> scope for Bearer tokens. */
  actions?: 'pull' | 'pull,push';
}

export class RegistryError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}

const tokens = new Map<string, { token: string; expires: number }>();
const MAX_REDIRECTS = 5;
const RETRIES = 3;

function header(h: RegistryResponse['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

function retryable(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED'].includes(code);
}

function describeNetworkError(err: unknown, url: URL): string {
  const e = err as { code?: string; message: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  const why = code === 'ECONNREFUSED' ? 'connection refused'
    : code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'the host name does not resolve (no network?)'
      : code ?? e.message;
  return `cannot reach the registry at ${url.origin}: ${why}`;
}

export class RegistryClient {
  /** Base URLs tried in order: configured mirrors (docker.io only), then the registry itself. */
  readonly endpoints: URL[];
  private endpoint: URL;

  constructor(
    readonly registry: string,
    readonly repository: string,
    private readonly config: TslabConfig,
    private readonly credentials: CredentialStore,
  ) {
    const own = new URL(`${this.scheme(registry)}://${registry === 'docker.io' ? 'registry-1.docker.io' : registry}`);
    const mirrors = registry === 'docker.io' ? config.registryMirrors.map((m) => new URL(m)) : [];
    // TSLAB_OFFLINE=1 (tests, machines without internet): only loopback endpoints are contacted
    const offline = process.env[ENV.OFFLINE] === '1';
    this.endpoints = [...mirrors, own].filter((u) => !offline || isLoopbackRegistry(u.host));
    if (this.endpoints.length === 0) {
      throw new UsageError(`TSLAB_OFFLINE=1 allows only loopback registries, and ${registry} is not one: unset TSLAB_OFFLINE or use a local mirror`);
    }
    this.endpoint = own;
  }

  private scheme(host: string): 'http' | 'https' {
    if (isLoopbackRegistry(host)) return 'http';
    if (this.config.insecureRegistries.includes(host)) return 'http';
    return 'https';
  }

  private credential(): Credential | undefined {
    return this.credentials.get(this.registry);
  }

  /** Runs `fn` against each endpoint until one answers; mirrors that fail fall through. */
  async withEndpoints<T>(fn: () => Promise<T>): Promise<T> {
    let lastError: unknown;
    for (const endpoint of this.endpoints) {
      this.endpoint = endpoint;
      try {
        return await fn();
      } catch (err) {
        lastError = err;
        if (endpoint === this.endpoints[this.endpoints.length - 1]) break;
      }
    }
    throw lastError;
  }

  /** A request to /v2/<path> of the current endpoint, with auth, redirects and retries. */
  async request(path: string, options: RequestOptions = {}): Promise<RegistryResponse> {
    const url = new URL(`/v2/${path}`, this.endpoint);
    return this.requestUrl(url, options);
  }

  async requestUrl(start: URL, options: RequestOptions = {}): Promise<RegistryResponse> {
    let authTried = false;
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.follow(start, options);
        if (res.status === 401 && !authTried) {
          authTried = true;
          await res.body.dump();
          await this.authenticate(parseChallenges(res.headers['www-authenticate']), options.actions ?? 'pull', true);
          attempt--;
          continue;
        }
        if ((res.status >= 500 || res.status === 429) && attempt < RETRIES - 1) {
          await res.body.dump();
          await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
          continue;
        }
        return res;
      } catch (err) {
        if (err instanceof RegistryError || err instanceof UsageError) throw err;
        if (retryable(err) && attempt < RETRIES - 1) {
          await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
          continue;
        }
        throw new RegistryError(describeNetworkError(err, start));
      }
    }
  }

  /** Follows redirects by hand, sending Authorization only to the registry's own origin. */
  private async follow(start: URL, options: RequestOptions): Promise<RegistryResponse> {
    let url = start;
    let method = options.method ?? 'GET';
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const headers: Record<string, string> = { 'user-agent': 'tslab/0.1', ...(options.headers ?? {}) };
      const auth = url.origin === this.endpoint.origin ? this.authorization(options.actions ?? 'pull') : undefined;
      if (auth) headers.authorization = auth;
      const body = typeof options.body === 'function' ? options.body() : options.body;
      const res = await send(url, { method, headers, body });
      if ([301, 302, 303, 307, 308].includes(res.status)) {
        const location = header(res.headers, 'location');
        await res.body.dump();
        if (!location) throw new RegistryError(`${url.origin} answered ${res.status} without a Location`);
        url = new URL(location, url);
        if (res.status === 303) method = 'GET';
        continue;
      }
      return { ...res, url };
    }
    throw new RegistryError(`too many redirects from ${start.href}`);
  }

  private scopeKey(actions: string): string {
    return `${this.endpoint.origin}|repository:${this.repository}:${actions}`;
  }

  private authorization(actions: string): string | undefined {
    const cached = tokens.get(this.scopeKey(actions)) ?? (actions === 'pull' ? tokens.get(this.scopeKey('pull,push')) : undefined);
    if (cached && cached.expires > Date.now()) return cached.token;
    return undefined;
  }

  /** Answers a 401 challenge: fetch a Bearer token (with saved credentials if any) or use Basic. */
  async authenticate(challenges: Challenge[], actions: string, required: boolean): Promise<void> {
    const credential = this.credential();
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    if (bearer?.params.realm) {
      const realm = new URL(bearer.params.realm);
      if (bearer.params.service) realm.searchParams.set('service', bearer.params.service);
      realm.searchParams.set('scope', `repository:${this.repository}:${actions}`);
      const headers: Record<string, string> = { 'user-agent': 'tslab/0.1' };
      if (credential) headers.authorization = `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`;
      let res;
      try {
        res = await send(realm, { headers });
      } catch (err) {
        throw new RegistryError(`cannot reach the token server ${realm.origin}: ${describeNetworkError(err, realm)}`);
      }
      const text = await res.body.text();
      if (res.status === 401 || res.status === 403) {
        throw new RegistryError(credential
          ? `the token server ${realm.origin} refused the saved credentials for ${this.registry}: run \`tslab login ${this.registry}\` again`
          : `${this.registry} needs credentials for ${this.repository}: run \`tslab login ${this.registry}\``, res.status);
      }
      if (res.status !== 200) throw new RegistryError(`the token server ${realm.origin} answered ${res.status}`, res.status);
      let parsed: { token?: string; access_token?: string; expires_in?: number };
      try {
        parsed = JSON.parse(text) as typeof parsed;
      } catch {
        throw new RegistryError(`the token server ${realm.origin} answered something that is not JSON`);
      }
      const token = parsed.token ?? parsed.access_token;
      if (!token) throw new RegistryError(`the token server ${realm.origin} answered without a token`);
      const ttl = Math.max(30, (parsed.expires_in ?? 60) - 10) * 1000;
      tokens.set(this.scopeKey(actions), { token: `Bearer ${token}`, expires: Date.now() + ttl });
      return;
    }
    if (basic) {
      if (!credential) {
        if (!required) return;
        throw new RegistryError(`${this.registry} needs a user name and password: run \`tslab login ${this.registry}\``, 401);
      }
      tokens.set(this.scopeKey(actions), {
        token: `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`,
        expires: Number.MAX_SAFE_INTEGER,
      });
      return;
    }
    if (required) throw new RegistryError(`${this.registry} refused access (401) without saying how to authenticate`, 401);
  }

  /** GET /v2/: checks that the registry speaks the distribution API and that we may use it. */
  async ping(): Promise<void> {
    const res = await this.request('');
    await res.body.dump();
    if (res.status === 401) throw new RegistryError(`${this.registry} refused the credentials: check the user name and password`, 401);
    if (res.status !== 200) throw new RegistryError(`${this.endpoint.origin}/v2/ answered ${res.status}; is this an OCI registry?`, res.status);
  }

  /** Turns an unexpected answer into a one-line error naming what failed. */
  async fail(res: RegistryResponse, what: string): Promise<never> {
    let detail = '';
    try {
      const text = await res.body.text();
      const parsed = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
      detail = parsed.errors?.map((e) => `${e.code ?? ''} ${e.message ?? ''}`.trim()).join('; ') ?? '';
    } catch {
      // not a JSON error body
    }
    if (res.status === 404) throw new RegistryError(`${what}: not found in ${this.registry}/${this.repository}${detail ? ` (${detail})` : ''}`, 404);
    if (res.status === 401 || res.status === 403) {
      throw new RegistryError(`${what}: access denied by ${this.registry}${detail ? ` (${detail})` : ''}; run \`tslab login ${this.registry}\` if it needs credentials`, res.status);
    }
    throw new RegistryError(`${what}: ${this.registry} answered ${res.status}${detail ? ` (${detail})` : ''}`, res.status);
  }
}
