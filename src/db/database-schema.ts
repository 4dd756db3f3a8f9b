import type { ApiKeyTable } from './api-key.table.js';
import type { DestinationTable } from './destination.table.js';
import type { JobFileTable } from './job-file.table.js';
import type { JobTable } from './job.table.js';
import type { UserTable } from './user.table.js';
import type { WebhookDeliveryTable } from './webhook-delivery.table.js';

export interface DatabaseSchema {
  users: UserTable;
  api_keys: ApiKeyTable;
  destinations: DestinationTable;
  jobs: JobTable;
  job_files: JobFileTable;
  webhook_deliveries: WebhookDeliveryTable;
}
