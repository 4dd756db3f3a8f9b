export interface DestinationTable {
  id: string;
  user_id: string;
  name: string;
  provider: string;
  endpoint: string | null;
  region: string;
  bucket: string;
  access_key_id: string;
  /** AES-256-GCM envelope (JSON) of the secret access key; never the plaintext. */
  secret_enc: string;
  force_path_style: number;
  path_prefix: string | null;
  storage_class: string | null;
  acl: string | null;
  server_side_encryption: string | null;
  public_endpoint: string | null;
  presign_expires_in: number | null;
  is_default: number;
  /** JSON capability report from the last verification. */
  capabilities: string | null;
  created_at: number;
  updated_at: number;
}
