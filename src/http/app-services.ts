import type { Config } from '../config/config.js';
import type { Logger } from '../core/logger.js';
import type { ApiKeyRepository } from '../db/api-key.repository.js';
import type { Database } from '../db/database.js';
import type { UserRepository } from '../db/user.repository.js';
import type { ImportService } from '../jobs/import.service.js';
import type { Metrics } from '../observability/metrics.js';
import type { LinkSigner } from '../security/link-signer.js';
import type { DestinationService } from '../storage/destinations/destination.service.js';
import type { StorageResolver } from '../storage/storage-resolver.js';

/** Everything the HTTP layer calls, wired explicitly by the process entry (no DI container). */
export interface AppServices {
  readonly config: Config;
  readonly logger: Logger;
  readonly database: Database;
  readonly users: UserRepository;
  readonly keys: ApiKeyRepository;
  readonly imports: ImportService;
  readonly storage: StorageResolver;
  readonly linkSigner: LinkSigner;
  readonly destinations: DestinationService;
  /** Prometheus metrics of this process (GET /metrics); absent in tools that serve no metrics. */
  readonly metrics?: Metrics;
}
