// Credentials saved by `tslab login`, in docker's config.json shape: {"auths": {host: {auth}}},
// at <dataRoot>/auth.json, readable by root only.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../../write-atomic.js';

export interface Credential {
  username: string;
  password: string;
}

interface AuthFile {
  auths: Record<string, { auth: string }>;
}

export class CredentialStore {
  readonly path: string;
  constructor(dataRoot: string) {
    this.path = join(dataRoot, 'auth.json');
  }

  private read(): AuthFile {
    if (!existsSync(this.path)) return { auths: {} };
    try {
      const parsed = JSON.parse(readFileSync(this.path, 'utf8')) as AuthFile;
      return { auths: parsed.auths ?? {} };
    } catch (err) {
      throw new Error(`${this.path} is not valid JSON (${(err as Error).message}); fix it or log in again after removing it`);
    }
  }

  get(registry: string): Credential | undefined {
    const entry = this.read().auths[registry];
    if (!entry) return undefined;
    const text = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon < 0) return undefined;
    return { username: text.slice(0, colon), password: text.slice(colon + 1) };
  }

  set(registry: string, credential: Credential): void {
    const file = this.read();
    file.auths[registry] = { auth: Buffer.from(`${credential.username}:${credential.password}`).toString('base64') };
    this.write(file);
  }

  remove(registry: string): boolean {
    const file = this.read();
    if (!file.auths[registry]) return false;
    delete file.auths[registry];
    this.write(file);
    return true;
  }

  private write(file: AuthFile): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    writeFileAtomic(this.path, JSON.stringify(file, null, 2), { mode: 0o600 });
  }
}
