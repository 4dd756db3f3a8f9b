import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import { toError } from '../../core/errors.js';
import { guardConnectTarget } from './egress-connect.js';
import type { HostResolver } from './egress-lookup.js';
import type { EgressPolicy } from './egress-policy.js';

export interface EgressDispatcherOptions {
  /** TCP + TLS handshake budget. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** Time to the response headers. Default 30 s. */
  readonly headersTimeoutMs?: number;
  /** Longest silence between body chunks. Default 60 s. */
  readonly bodyTimeoutMs?: number;
  /** Replaces DNS (tests). */
  readonly resolveHost?: HostResolver;
}

const egressDispatchers = new WeakSet<Dispatcher>();

/** True for dispatchers made by `createEgressDispatcher` (guardedFetch refuses any other). */
export function isEgressDispatcher(dispatcher: Dispatcher): boolean {
  return egressDispatchers.has(dispatcher);
}

/**
 * An undici Agent whose every socket passes the egress policy at connect time, on the address the
 * socket actually connects to (IP literals checked as they are, names through the guarded lookup).
 * Use it for every undici request bucketload makes: `request(url, { dispatcher })`, `fetch(url,
 * { dispatcher })`, or `guardedFetch`. A refusal fails the request with `AppError('EGRESS_DENIED')`.
 */
export function createEgressDispatcher(policy: EgressPolicy, options: EgressDispatcherOptions = {}): Agent {
  const timeout = options.connectTimeoutMs ?? 10_000;
  // One connector per port (the lookup must know the port for `host:port` rules); each keeps its own
  // TLS session cache.
  const connectors = new Map<number, buildConnector.connector>();
  const connect: buildConnector.connector = (connectOptions, callback) => {
    const port = Number(connectOptions.port) || (connectOptions.protocol === 'https:' ? 443 : 80);
    let host: string;
    let connector = connectors.get(port);
    try {
      const target = guardConnectTarget(policy, connectOptions.hostname, port, options.resolveHost);
      host = target.host;
      if (connector === undefined) {
        connector = buildConnector({ timeout, lookup: target.lookup });
        connectors.set(port, connector);
      }
    } catch (error) {
      process.nextTick(callback, toError(error), null);
      return;
    }
    connector({ ...connectOptions, hostname: host }, callback);
  };
  const agent = new Agent({
    connect,
    headersTimeout: options.headersTimeoutMs ?? 30_000,
    bodyTimeout: options.bodyTimeoutMs ?? 60_000,
  });
  egressDispatchers.add(agent);
  return agent;
}

export interface EgressHttpAgents {
  readonly httpAgent: http.Agent;
  readonly httpsAgent: https.Agent;
}

export interface EgressHttpAgentOptions {
  /** Passed to both agents (keepAlive, maxSockets, …). keepAlive defaults to true. */
  readonly agentOptions?: http.AgentOptions;
  readonly resolveHost?: HostResolver;
}

type CreateConnection = (
  options: http.ClientRequestArgs,
  callback?: (err: Error | null, stream: Duplex) => void,
) => Duplex | null | undefined;

/**
 * node:http and node:https Agents whose sockets pass the egress policy, for clients that do not use
 * undici — above all the AWS SDK: `new NodeHttpHandler({ httpAgent, httpsAgent })` from
 * `@smithy/node-http-handler`. A refusal fails the request with `AppError('EGRESS_DENIED')`.
 */
export function createEgressHttpAgents(
  policy: EgressPolicy,
  options: EgressHttpAgentOptions = {},
): EgressHttpAgents {
  const agentOptions: http.AgentOptions = { keepAlive: true, ...options.agentOptions };
  const guard = (
    args: http.ClientRequestArgs,
    callback: ((err: Error | null, stream: Duplex) => void) | undefined,
    defaultPort: number,
    create: CreateConnection,
  ): Duplex | null | undefined => {
    try {
      // A Unix socket path would bypass every address check.
      if (args.socketPath !== undefined) throw new Error('egress agents do not connect to Unix sockets');
      const port = Number(args.port) || defaultPort;
      const target = guardConnectTarget(
        policy,
        String(args.host ?? args.hostname ?? 'localhost'),
        port,
        options.resolveHost,
      );
      return create({ ...args, host: target.host, lookup: target.lookup }, callback);
    } catch (error) {
      // Report through the callback, never by throwing: the Agent may call us from an event handler.
      process.nextTick(() => callback?.(toError(error), undefined as unknown as Duplex));
      return undefined;
    }
  };

  class EgressHttpAgent extends http.Agent {
    override createConnection(
      args: http.ClientRequestArgs,
      callback?: (err: Error | null, stream: Duplex) => void,
    ) {
      return guard(args, callback, 80, (a, cb) => super.createConnection(a, cb));
    }
  }
  class EgressHttpsAgent extends https.Agent {
    override createConnection(
      args: https.RequestOptions,
      callback?: (err: Error | null, stream: Duplex) => void,
    ) {
      return guard(args, callback, 443, (a, cb) => super.createConnection(a, cb));
    }
  }
  return { httpAgent: new EgressHttpAgent(agentOptions), httpsAgent: new EgressHttpsAgent(agentOptions) };
}
