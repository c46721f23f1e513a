// One HTTP exchange for the registry client, on node:http / node:https with keep-alive agents.
// Built into Node, so a pull reads no client library from disk (undici cost ~100 modules at the
// start of every pull, before the first byte was asked for) and the blob bodies come as plain
// socket buffers. Redirects, auth and retries are the client's (client.ts); this only sends.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';

export type ResponseBody = IncomingMessage & { text(): Promise<string>; arrayBuffer(): Promise<ArrayBuffer>; dump(): Promise<void> };

export interface Exchange {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: ResponseBody;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | Readable;
}

const CONNECT_TIMEOUT = 15_000;
/** No byte for this long (waiting for headers or in the body): the exchange fails as ETIMEDOUT. */
const IDLE_TIMEOUT = 120_000;

const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

function timeoutError(what: string): Error {
  return Object.assign(new Error(what), { code: 'ETIMEDOUT' });
}

async function collect(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The response with the body helpers the client uses (text, arrayBuffer, dump). */
function withHelpers(res: IncomingMessage): ResponseBody {
  const body = res as ResponseBody;
  body.text = async () => (await collect(res)).toString('utf8');
  body.arrayBuffer = async () => {
    const b = await collect(res);
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  };
  body.dump = () => new Promise<void>((resolve) => {
    // read to the end even when the bytes are all in (complete): only then is the socket free for reuse
    if (res.readableEnded || res.destroyed) return resolve();
    res.once('end', resolve).once('close', resolve).once('error', () => resolve());
    res.resume();
  });
  return body;
}

/** Each header as a string, or an array when it came more than once (several WWW-Authenticate). */
function headersOf(res: IncomingMessage): Exchange['headers'] {
  const out: Exchange['headers'] = {};
  for (const [k, v] of Object.entries(res.headersDistinct)) if (v) out[k] = v.length === 1 ? v[0] : v;
  return out;
}

export function send(url: URL, options: SendOptions = {}): Promise<Exchange> {
  const secure = url.protocol === 'https:';
  if (!secure && url.protocol !== 'http:') return Promise.reject(new Error(`unsupported URL scheme ${url.protocol} in ${url.href}`));
  return new Promise<Exchange>((resolve, reject) => {
    const req = (secure ? httpsRequest : httpRequest)(url, {
      method: options.method ?? 'GET',
      headers: options.headers,
      agent: secure ? agents.https : agents.http,
    });
    req.setTimeout(IDLE_TIMEOUT, () => req.destroy(timeoutError(`no answer from ${url.origin} for ${IDLE_TIMEOUT / 1000} s`)));
    req.once('socket', (socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(() => req.destroy(timeoutError(`connecting to ${url.origin} timed out`)), CONNECT_TIMEOUT);
      timer.unref();
      const clear = (): void => clearTimeout(timer);
      socket.once(secure ? 'secureConnect' : 'connect', clear).once('close', clear);
    });
    req.once('error', reject);
    req.once('response', (res) => {
      // an error later (a connection lost mid-body) reaches whoever reads the body
      req.removeListener('error', reject);
      req.on('error', (err) => res.destroy(err));
      resolve({ status: res.statusCode ?? 0, headers: headersOf(res), body: withHelpers(res) });
    });
    const body = options.body;
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) {
      req.setHeader('content-length', body.length);
      req.end(body);
    } else {
      body.once('error', (err) => req.destroy(err));
      body.pipe(req);
    }
  });
}
