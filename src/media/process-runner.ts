import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { AppError, toError } from '../core/errors.js';

/**
 * The process runner port: the only way bucketload starts external tools (ffmpeg, ffprobe, yt-dlp).
 * Everything media-related takes a `ProcessRunner` so tests and callers can swap it, and so one
 * place owns killing, output capping and leak accounting.
 */
export interface ProcessRunner {
  /**
   * Runs `command` with `args` (never through a shell) and resolves when it has exited, whatever
   * the exit code. Rejects with an `AbortError` when `signal` aborts (after the whole process group
   * is gone), with `AppError(TOOL_MISSING)` when the command cannot be found or executed, and with
   * the callback's error when a line callback throws (the process group is killed first).
   */
  run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult>;
}

export interface RunOptions {
  readonly signal: AbortSignal;
  readonly cwd?: string;
  /** Added on top of the parent's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Called for every complete stdout line (without the line break), captured or not. */
  readonly onStdoutLine?: (line: string) => void;
  readonly onStderrLine?: (line: string) => void;
  /** Children never read our stdin; the only accepted value documents it. */
  readonly stdin?: 'ignore';
  /** Bytes of stdout kept in `RunResult.stdout` (the head). Default 32 MiB. */
  readonly maxStdoutBytes?: number;
  /** Bytes of stderr kept in `RunResult.stderr` (the tail, where tools print their errors). Default 64 KiB. */
  readonly maxStderrBytes?: number;
}

export interface RunResult {
  /** The exit code, or null when the process died from a signal (see `exitSignal`). */
  readonly exitCode: number | null;
  readonly exitSignal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when output beyond the caps was dropped from the captured strings. */
  readonly stdoutTruncated: boolean;
  readonly stderrTruncated: boolean;
}

export interface NodeProcessRunnerOptions {
  /** Time between SIGTERM and SIGKILL to the process group on abort. Default 2000 ms. */
  readonly killGraceMs?: number;
}

const DEFAULT_MAX_STDOUT = 32 * 1024 * 1024;
const DEFAULT_MAX_STDERR = 64 * 1024;

/** Process-group ids of children that are running (or whose group may still have members). */
const activeGroups = new Set<number>();
let exitHookInstalled = false;

/** Number of child process groups started by node runners that have not been reaped yet. */
export function activeProcessCount(): number {
  return activeGroups.size;
}

/** The pids (= process-group ids) of running children, for leak assertions in tests. */
export function activeProcessIds(): number[] {
  return [...activeGroups];
}

export function abortError(signal: AbortSignal): Error {
  const err = new Error('The operation was aborted', { cause: signal.reason });
  err.name = 'AbortError';
  return err;
}

/** True when any process in the group still exists (zombies of other parents included). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/**
 * A worker that dies must not leave ffmpeg running for hours: on exit, SIGKILL every group we own.
 * (Children are detached into their own groups so a terminal's Ctrl-C does not reach them; this
 * hook replaces that.)
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const pgid of activeGroups) killGroup(pgid, 'SIGKILL');
  });
}

/** Keeps the first `max` bytes of a stream as text, and splits it into lines for a callback. */
class OutputSink {
  private readonly decoder = new StringDecoder('utf8');
  private readonly lineDecoder = new StringDecoder('utf8');
  private chunks: Buffer[] = [];
  private size = 0;
  private pending = '';
  truncated = false;

  constructor(
    private readonly max: number,
    private readonly keep: 'head' | 'tail',
    private readonly onLine: ((line: string) => void) | undefined,
  ) {}

  push(chunk: Buffer): void {
    this.capture(chunk);
    if (this.onLine === undefined) return;
    this.pending += this.lineDecoder.write(chunk);
    let nl = this.pending.indexOf('\n');
    while (nl !== -1) {
      const line = this.pending.slice(0, nl);
      this.pending = this.pending.slice(nl + 1);
      this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
      nl = this.pending.indexOf('\n');
    }
  }

  /** Flushes a last line that had no line break. */
  end(): void {
    if (this.onLine === undefined) return;
    const rest = this.pending + this.lineDecoder.end();
    this.pending = '';
    if (rest.length > 0) this.onLine(rest.endsWith('\r') ? rest.slice(0, -1) : rest);
  }

  private capture(chunk: Buffer): void {
    if (this.keep === 'head') {
      if (this.size >= this.max) {
        this.truncated = true;
        return;
      }
      const room = this.max - this.size;
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      if (part.length < chunk.length) this.truncated = true;
      this.chunks.push(part);
      this.size += part.length;
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.max && this.chunks.length > 0) {
      const first = this.chunks[0] as Buffer;
      const excess = this.size - this.max;
      this.truncated = true;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
      }
    }
  }

  text(): string {
    return this.decoder.write(Buffer.concat(this.chunks)) + this.decoder.end();
  }
}

/**
 * Spawns children with `detached: true` so each is the leader of its own process group; aborting
 * kills the whole group (yt-dlp's ffmpeg merger, ffmpeg's helpers), SIGTERM first and SIGKILL after
 * a grace period, and the promise settles only once the group is gone.
 */
export function createNodeProcessRunner(runnerOptions: NodeProcessRunnerOptions = {}): ProcessRunner {
  const killGraceMs = runnerOptions.killGraceMs ?? 2000;

  return {
    run(command, args, options) {
      const { signal } = options;
      if (signal.aborted) return Promise.reject(abortError(signal));

      return new Promise<RunResult>((resolve, reject) => {
        let failure: Error | undefined;
        let killTimer: NodeJS.Timeout | undefined;
        let pgid: number | undefined;
        let settled = false;

        const stdout = new OutputSink(
          options.maxStdoutBytes ?? DEFAULT_MAX_STDOUT,
          'head',
          guard(options.onStdoutLine),
        );
        const stderr = new OutputSink(
          options.maxStderrBytes ?? DEFAULT_MAX_STDERR,
          'tail',
          guard(options.onStderrLine),
        );

        function guard(cb: ((line: string) => void) | undefined): ((line: string) => void) | undefined {
          if (cb === undefined) return undefined;
          return (line) => {
            if (failure !== undefined) return;
            try {
              cb(line);
            } catch (err) {
              terminate(toError(err));
            }
          };
        }

        /** Ends the child early; the promise rejects with `reason` once the group is gone. */
        function terminate(reason: Error): void {
          failure ??= reason;
          if (pgid === undefined) return;
          killGroup(pgid, 'SIGTERM');
          if (killTimer === undefined) {
            const target = pgid;
            killTimer = setTimeout(() => killGroup(target, 'SIGKILL'), killGraceMs);
            killTimer.unref();
          }
        }

        const onAbort = (): void => terminate(abortError(signal));

        const child = spawn(command, [...args], {
          cwd: options.cwd,
          env: options.env === undefined ? process.env : { ...process.env, ...options.env },
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
          windowsHide: true,
        });

        const finish = (outcome: () => void): void => {
          if (settled) return;
          settled = true;
          signal.removeEventListener('abort', onAbort);
          if (killTimer !== undefined) clearTimeout(killTimer);
          if (pgid !== undefined) {
            // The leader is reaped; anything it left in its group (grandchildren) dies with it.
            if (groupAlive(pgid)) killGroup(pgid, 'SIGKILL');
            activeGroups.delete(pgid);
          }
          outcome();
        };

        if (child.pid !== undefined) {
          pgid = child.pid;
          activeGroups.add(pgid);
          installExitHook();
        }

        child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
        child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));

        child.once('error', (err: NodeJS.ErrnoException) => {
          if (pgid !== undefined) {
            // The child runs (a kill or pipe failed): stop it; 'close' settles the promise.
            terminate(err);
            return;
          }
          // Spawning failed: no 'close' will follow.
          const missing = err.code === 'ENOENT' || err.code === 'EACCES';
          finish(() =>
            reject(
              missing
                ? new AppError('TOOL_MISSING', {
                    message: `${command} is not installed or not executable (${err.code}).`,
                    cause: err,
                    details: { tool: command },
                  })
                : err,
            ),
          );
        });

        // A grandchild that outlives the leader keeps our pipes open and 'close' would wait for it:
        // once the leader has exited, nothing left in its group is ours to keep.
        child.once('exit', () => {
          if (pgid !== undefined && groupAlive(pgid)) killGroup(pgid, 'SIGKILL');
        });

        child.once('close', (code, sig) => {
          stdout.end();
          stderr.end();
          finish(() => {
            if (failure !== undefined) {
              reject(failure);
              return;
            }
            resolve({
              exitCode: code,
              exitSignal: sig,
              stdout: stdout.text(),
              stderr: stderr.text(),
              stdoutTruncated: stdout.truncated,
              stderrTruncated: stderr.truncated,
            });
          });
        });

        signal.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}
