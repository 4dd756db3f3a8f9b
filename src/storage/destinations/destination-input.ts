import type { AclName, ProviderName } from '../s3/provider-presets.js';

/** The fields of POST /v1/destinations (and of an inline destination). */
export interface DestinationInput {
  readonly name: string;
  readonly provider?: ProviderName;
  readonly endpoint?: string;
  readonly region?: string;
  readonly accountId?: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly forcePathStyle?: boolean;
  readonly pathPrefix?: string;
  readonly storageClass?: string;
  readonly acl?: AclName;
  readonly serverSideEncryption?: string;
  readonly publicEndpoint?: string;
  readonly presignExpiresIn?: number;
  readonly default?: boolean;
}

/** What the API shows of a destination: the secret only as a mask. */
export interface DestinationView {
  id: string;
  name: string;
  provider: string;
  endpoint: string | null;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
  pathPrefix: string | null;
  storageClass: string | null;
  acl: string | null;
  serverSideEncryption: string | null;
  publicEndpoint: string | null;
  presignExpiresIn: number | null;
  default: boolean;
  capabilities: VerificationView | null;
  createdAt: string;
  updatedAt: string;
}

export interface VerificationView {
  ok: boolean;
  capabilities: { put: boolean; read: boolean; list: boolean; delete: boolean; presign: boolean };
  probeErrors: Record<string, string>;
  checkedAt: string;
  durationMs: number;
  markerRemoved: boolean;
}

export const SECRET_MASK = '••••••••';
