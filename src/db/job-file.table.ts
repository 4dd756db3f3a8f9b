export interface JobFileTable {
  id: string;
  job_id: string;
  role: string;
  /** 'destination' or 'managed'. */
  storage: string;
  destination_id: string | null;
  bucket: string | null;
  key: string;
  file_name: string;
  size_bytes: number;
  sha256: string;
  content_type: string;
  created_at: number;
}
