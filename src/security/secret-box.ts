import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Users' secrets at rest: an AES-256-GCM envelope `{ v, kid, iv, tag, ct }` whose additional
 * authenticated data binds it to its owner and record, so a ciphertext copied onto another row or
 * user fails to decrypt. Old key ids stay decryptable until `master-key rotate` re-encrypts.
 */
export interface SecretEnvelope {
  readonly v: 1;
  readonly kid: string;
  readonly iv: string;
  readonly tag: string;
  readonly ct: string;
}

export interface MasterKey {
  readonly kid: string;
  readonly key: Buffer;
}

export class SecretBox {
  private readonly keys: ReadonlyMap<string, Buffer>;

  /** `current` encrypts; `current` and `previous` decrypt. */
  constructor(
    private readonly current: MasterKey,
    previous: readonly MasterKey[] = [],
  ) {
    this.keys = new Map([...previous, current].map((k) => [k.kid, k.key]));
  }

  get currentKeyId(): string {
    return this.current.kid;
  }

  seal(plaintext: string, aad: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const envelope: SecretEnvelope = {
      v: 1,
      kid: this.current.kid,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      ct: ct.toString('base64'),
    };
    return JSON.stringify(envelope);
  }

  open(sealed: string, aad: string): string {
    const envelope = JSON.parse(sealed) as SecretEnvelope;
    const key = this.keys.get(envelope.kid);
    if (envelope.v !== 1 || key === undefined)
      throw new Error(`no master key with id ${String(envelope.kid)}`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(envelope.iv, 'base64'));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(envelope.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(envelope.ct, 'base64')), decipher.final()]).toString(
      'utf8',
    );
  }

  keyIdOf(sealed: string): string {
    return (JSON.parse(sealed) as SecretEnvelope).kid;
  }
}

export function masterKeyFrom(material: Buffer): MasterKey {
  if (material.length !== 32) throw new Error('a master key is 32 bytes');
  return { kid: createHash('sha256').update(material).digest('hex').slice(0, 12), key: material };
}

export function decodeMasterKey(value: string): Buffer {
  return /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
}

const KEY_FILE = 'master.key';

/**
 * The master key ring: `BUCKETLOAD_MASTER_KEY` when set, else `<dataDir>/master.key` (created 0600 on
 * first run). The key file holds one key per line, newest first; older lines keep old secrets
 * readable until they are re-encrypted.
 */
export function loadSecretBox(dataDir: string, envKey: string | undefined): SecretBox {
  const file = path.join(dataDir, KEY_FILE);
  const fileKeys = fs.existsSync(file) ? readKeyFile(file) : [];
  if (envKey !== undefined) {
    const current = masterKeyFrom(decodeMasterKey(envKey));
    return new SecretBox(
      current,
      fileKeys.filter((k) => k.kid !== current.kid),
    );
  }
  if (fileKeys.length === 0) {
    fs.mkdirSync(dataDir, { recursive: true });
    const material = randomBytes(32);
    fs.writeFileSync(file, `${material.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    return new SecretBox(masterKeyFrom(material));
  }
  const [current, ...previous] = fileKeys;
  if (current === undefined) throw new Error('unreachable: empty key file');
  return new SecretBox(current, previous);
}

function readKeyFile(file: string): MasterKey[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => masterKeyFrom(decodeMasterKey(line)));
}

/** Prepends a new key to the key file (0600) and returns the new box; used by `master-key rotate`. */
export function addMasterKeyToFile(dataDir: string): SecretBox {
  const file = path.join(dataDir, KEY_FILE);
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const material = randomBytes(32);
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, `${material.toString('hex')}\n${existing}`, { mode: 0o600 });
  fs.renameSync(tmp, file);
  return loadSecretBox(dataDir, undefined);
}
