import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/config.js';
import { AppError, PermanentJobError, isAbortError } from '../core/errors.js';
import type {
  Artifact,
  ExtractedMedia,
  MediaEngine,
  MediaRequest,
  MediaRunOptions,
  TreeFile,
} from '../jobs/media-engine.js';
import { createFfmpeg } from '../media/ffmpeg.js';
import { probeMedia } from '../media/ffprobe.js';
import { executeOutputPlan, type ProducedArtifact } from '../media/output-plan-runner.js';
import { planOutputs } from '../media/output-plan.js';
import type { ProcessRunner } from '../media/process-runner.js';
import type { Rendition } from '../media/rendition-ladder.js';
import { startEgressProxy, type EgressPolicy, type EgressProxy } from '../security/egress/index.js';
import { createYtdlpClient } from './ytdlp/ytdlp-client.js';

export interface MediaEngineDeps {
  readonly config: Pick<Config, 'ytdlpPath' | 'ffmpegPath' | 'ffprobePath' | 'maxFileBytes'> & {
    /** The HLS/DASH rendition table (BUCKETLOAD_RENDITIONS); the built-in table when absent. */
    readonly renditions?: readonly Rendition[] | undefined;
    /** BUCKETLOAD_MAX_DURATION_SECONDS: longer media fails MEDIA_TOO_LONG. */
    readonly maxDurationSeconds?: number | undefined;
  };
  readonly runner: ProcessRunner;
  readonly policy: EgressPolicy;
}

/**
 * The tools of one engine call, pinned to their own egress proxy: yt-dlp gets `--proxy`, and every
 * tool (yt-dlp, the ffmpeg it runs for HLS/merges, our ffmpeg/ffprobe) gets `http_proxy` /
 * `https_proxy` in its environment with `no_proxy` cleared, so no connection leaves without the
 * policy's check. The proxy records what it refused, so a tool's bare "HTTP Error 403" can be
 * reported as EGRESS_DENIED, and closing it cuts every tunnel the call still had open.
 */
interface ToolSession {
  readonly runner: ProcessRunner;
  readonly proxyUrl: string;
  /** `host:port` targets the proxy refused during this call. */
  readonly denied: readonly string[];
  close(): Promise<void>;
}

/**
 * The MediaEngine of the job pipeline: yt-dlp for pages and manifests, then `planOutputs` +
 * `executeOutputPlan` for the ffmpeg steps (every output probed before it is returned).
 */
export function createMediaEngine(deps: MediaEngineDeps): MediaEngine & { close(): Promise<void> } {
  const { config } = deps;
  const open = new Set<EgressProxy>();
  let ffmpegForYtdlp: Promise<string | undefined> | undefined;

  async function openSession(): Promise<ToolSession> {
    const denied: string[] = [];
    const note = (address: string, port: number, hostname?: string): void => {
      if (denied.length < 20) denied.push(`${hostname ?? address}:${port}`);
    };
    const watched: EgressPolicy = {
      rules: deps.policy.rules,
      isAllowed(address, port, hostname) {
        const allowed = deps.policy.isAllowed(address, port, hostname);
        if (!allowed) note(address, port, hostname);
        return allowed;
      },
      checkAddress(address, port, hostname) {
        try {
          deps.policy.checkAddress(address, port, hostname);
        } catch (error) {
          note(address, port, hostname);
          throw error;
        }
      },
    };
    const proxy = await startEgressProxy(watched);
    open.add(proxy);
    const env = {
      http_proxy: proxy.url,
      https_proxy: proxy.url,
      HTTP_PROXY: proxy.url,
      HTTPS_PROXY: proxy.url,
      no_proxy: '',
      NO_PROXY: '',
    };
    return {
      runner: {
        run: (command, args, options) =>
          deps.runner.run(command, args, { ...options, env: { ...env, ...options.env } }),
      },
      proxyUrl: proxy.url,
      denied,
      async close() {
        open.delete(proxy);
        await proxy.close();
      },
    };
  }

  async function withSession<T>(
    workDir: string | undefined,
    fn: (session: ToolSession) => Promise<T>,
  ): Promise<T> {
    const session = await openSession();
    try {
      return await fn(session);
    } catch (error) {
      throw refine(error, session, workDir);
    } finally {
      await session.close();
    }
  }

  async function processSource(
    session: ToolSession,
    sourcePath: string,
    request: MediaRequest,
    options: MediaRunOptions,
    meta: { title: string | null; extractor: string | null },
  ): Promise<ExtractedMedia> {
    const { signal } = options;
    const probe = await probeMedia(sourcePath, {
      runner: session.runner,
      ffprobePath: config.ffprobePath,
      signal,
    });
    const outDir = path.join(options.workDir, 'out');
    await fsp.mkdir(outDir, { recursive: true });
    const plan = planOutputs({
      sourcePath,
      probe,
      workDir: outDir,
      outputs: request.outputs,
      ...(request.format === undefined ? {} : { format: request.format }),
      ...(config.renditions === undefined ? {} : { renditions: config.renditions }),
      ...(config.maxDurationSeconds === undefined ? {} : { maxDurationSeconds: config.maxDurationSeconds }),
    });
    const ffmpeg = createFfmpeg({
      runner: session.runner,
      ffmpegPath: config.ffmpegPath,
      ffprobePath: config.ffprobePath,
    });
    options.onProgress({
      stage: 'process',
      bytes: probe.sizeBytes,
      totalBytes: probe.sizeBytes,
      fraction: 0,
    });
    const produced = await executeOutputPlan(plan, ffmpeg, {
      signal,
      onProgress: (p) =>
        options.onProgress({
          stage: 'process',
          bytes: probe.sizeBytes,
          totalBytes: probe.sizeBytes,
          fraction: p.fraction,
        }),
    });
    options.onProgress({
      stage: 'process',
      bytes: probe.sizeBytes,
      totalBytes: probe.sizeBytes,
      fraction: 1,
    });
    return {
      title: meta.title,
      extractor: meta.extractor,
      durationSeconds: probe.durationSeconds ?? null,
      artifacts: await Promise.all(
        produced.map((artifact, i) => toArtifact(artifact, plan.artifacts[i]?.ext)),
      ),
      skipped: plan.skipped.map((s) => ({ role: s.role, reason: s.reason })),
    };
  }

  return {
    extract(url, request, options) {
      return withSession(options.workDir, async (session) => {
        ffmpegForYtdlp ??= locateTool(deps.runner, config.ffmpegPath);
        const ffmpegPath = await ffmpegForYtdlp;
        const ytdlp = createYtdlpClient({
          runner: session.runner,
          ytdlpPath: config.ytdlpPath,
          ...(ffmpegPath === undefined ? {} : { ffmpegPath }),
        });
        // A separate `-J` run costs a yt-dlp start-up; it is needed for a playlist's entries, and
        // to refuse media that is too long before downloading it when the site tells its length.
        if (request.playlist || config.maxDurationSeconds !== undefined) {
          const info = await ytdlp.probeUrl(url, {
            signal: options.signal,
            playlist: request.playlist,
            proxy: session.proxyUrl,
            ...(request.maxItems === undefined ? {} : { maxItems: request.maxItems }),
          });
          if (request.playlist && info.isPlaylist && info.entries !== undefined) {
            return {
              title: info.title,
              extractor: info.extractor,
              durationSeconds: null,
              artifacts: [],
              skipped: [],
              entries: info.entries.map((e) => ({ url: e.url, title: e.title })),
              playlistTitle: info.title,
            };
          }
          if (
            config.maxDurationSeconds !== undefined &&
            info.duration !== undefined &&
            info.duration > config.maxDurationSeconds
          ) {
            throw tooLong(info.duration, config.maxDurationSeconds);
          }
        }
        const downloadDir = path.join(options.workDir, 'download');
        await fsp.mkdir(downloadDir, { recursive: true });
        const download = await ytdlp.downloadMedia(url, {
          signal: options.signal,
          dir: downloadDir,
          format: request.format ?? { kind: 'original' },
          proxy: session.proxyUrl,
          maxFileBytes: config.maxFileBytes,
          onProgress: (p) =>
            options.onProgress({
              stage: 'download',
              bytes: p.downloadedBytes,
              totalBytes: p.totalBytes ?? null,
              fraction: p.fraction ?? null,
            }),
        });
        options.onProgress({
          stage: 'download',
          bytes: download.sizeBytes,
          totalBytes: download.sizeBytes,
          fraction: 1,
        });
        return processSource(session, download.path, request, options, {
          title: download.info.title,
          extractor: download.info.extractor,
        });
      });
    },

    process(sourcePath, request, options) {
      return withSession(options.workDir, (session) =>
        processSource(session, sourcePath, request, options, { title: null, extractor: null }),
      );
    },

    probe(target, signal, sizeBytes) {
      return withSession(undefined, async (session) => {
        const remote = /^https?:\/\//i.test(target);
        const probe = await probeMedia(target, {
          runner: session.runner,
          ffprobePath: config.ffprobePath,
          signal,
          ...(remote ? { httpProxy: session.proxyUrl } : {}),
          ...(sizeBytes === undefined ? {} : { sizeBytes }),
        });
        if (
          config.maxDurationSeconds !== undefined &&
          (probe.durationSeconds ?? 0) > config.maxDurationSeconds
        ) {
          throw tooLong(probe.durationSeconds ?? 0, config.maxDurationSeconds);
        }
        return {
          durationSeconds: probe.durationSeconds ?? null,
          ext: probe.container.ext,
          contentType: probe.container.contentType,
        };
      });
    },

    async close() {
      await Promise.all([...open].map((proxy) => proxy.close()));
      open.clear();
    },
  };
}

/**
 * yt-dlp's `--ffmpeg-location` takes a path, never a command name: given the default `ffmpeg` it
 * looks for a file called `ffmpeg` in its working directory, finds none, and then silently skips
 * merging separate video and audio (DASH, `bv*+ba`) and fixing HLS downloads. A bare name is looked
 * up on the PATH the tools inherit; if it is not there, yt-dlp is left to search itself.
 */
async function locateTool(runner: ProcessRunner, command: string): Promise<string | undefined> {
  if (command.includes('/')) return path.resolve(command);
  try {
    const found = await runner.run('sh', ['-c', 'command -v -- "$1"', 'sh', command], {
      signal: AbortSignal.timeout(10_000),
      stdin: 'ignore',
    });
    const resolved = found.stdout.trim();
    return found.exitCode === 0 && resolved.startsWith('/') ? resolved : undefined;
  } catch {
    return undefined;
  }
}

function tooLong(seconds: number, max: number): PermanentJobError {
  return new PermanentJobError('MEDIA_TOO_LONG', {
    message: `The media lasts ${Math.round(seconds)} s; this server accepts at most ${max} s.`,
    details: { durationSeconds: Math.round(seconds), maxDurationSeconds: max },
  });
}

/**
 * Makes a tool failure say what happened, in words fit for the import's `error`:
 * - yt-dlp only prints "HTTP Error 403" when the egress proxy refused it: EGRESS_DENIED;
 * - every page bucketload hands to yt-dlp is one it fetched as HTML or a manifest, so yt-dlp's
 *   "Unsupported URL" there means the page holds no media it recognises: NO_MEDIA_FOUND;
 * - tools quote the paths and URLs they read: the temp dir (a server path) is cut off and the
 *   signature of a presigned URL masked.
 */
function refine(error: unknown, session: ToolSession, workDir: string | undefined): unknown {
  if (isAbortError(error) || !(error instanceof AppError)) return error;
  if (session.denied.length > 0 && error.code !== 'EGRESS_DENIED') {
    return new PermanentJobError('EGRESS_DENIED', {
      message: `A media tool was refused a connection to ${session.denied[0] ?? 'an address'} by the egress policy.`,
      cause: error,
    });
  }
  if (error.code === 'UNSUPPORTED_URL') {
    return new PermanentJobError('NO_MEDIA_FOUND', {
      message:
        'The page has no media that bucketload recognises (no <video> or <audio> tag, og:video tag or HLS/DASH manifest).',
      cause: error,
    });
  }
  let message = error.message.replace(
    /([?&](?:X-Amz-[A-Za-z-]+|Signature|sig|token|access_token|key)=)[^&\s]+/gi,
    '$1***',
  );
  if (workDir !== undefined) message = message.split(`${path.resolve(workDir)}${path.sep}`).join('');
  if (message === error.message) return error;
  const options = {
    message,
    cause: error,
    ...(error.hint === undefined ? {} : { hint: error.hint }),
    ...(error.field === undefined ? {} : { field: error.field }),
    ...(error.details === undefined ? {} : { details: error.details }),
  };
  return error instanceof PermanentJobError
    ? new PermanentJobError(error.code, options)
    : new AppError(error.code, { ...options, retryable: error.retryable });
}

const TREE_TYPES: Readonly<Record<string, string>> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.mpd': 'application/dash+xml',
  '.ts': 'video/mp2t',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.m4a': 'audio/mp4',
  '.m4v': 'video/mp4',
  '.webm': 'video/webm',
};

/** The Content-Type of one HLS/DASH file; DASH init segments are complete ISO-BMFF files. */
export function treeContentType(relPath: string): string {
  const name = path.posix.basename(relPath);
  if (name.startsWith('init-') && name.endsWith('.m4s')) return 'video/mp4';
  return TREE_TYPES[path.posix.extname(name).toLowerCase()] ?? 'application/octet-stream';
}

async function toArtifact(produced: ProducedArtifact, plannedExt: string | undefined): Promise<Artifact> {
  if (produced.dir !== undefined && (produced.role === 'hls' || produced.role === 'dash')) {
    const dir = produced.dir;
    const files: TreeFile[] = await Promise.all(
      (produced.files ?? []).map(async (relPath) => ({
        relPath,
        contentType: treeContentType(relPath),
        sizeBytes: (await fsp.stat(path.join(dir, relPath))).size,
      })),
    );
    const entry = path.relative(dir, produced.path).split(path.sep).join('/');
    if (!files.some((f) => f.relPath === entry)) {
      throw new AppError('TOOL_FAILED', {
        message: `ffmpeg wrote no ${entry}.`,
        details: { tool: 'ffmpeg' },
      });
    }
    return {
      role: produced.role,
      kind: 'tree',
      dir,
      files,
      entry,
      renditionPlaylists:
        produced.role === 'hls'
          ? files.map((f) => f.relPath).filter((p) => /^[^/]+\/index\.m3u8$/.test(p))
          : [],
    };
  }
  // ffprobe names every Matroska file `matroska,webm`, so a file our matroska muxer wrote with
  // VP9/Opus inside reads as WebM; the muxer we chose knows better.
  const asMkv = plannedExt === 'mkv' && produced.step !== undefined && produced.ext === 'webm';
  return {
    role: produced.role,
    kind: 'file',
    path: produced.path,
    ext: asMkv ? 'mkv' : produced.ext,
    contentType: asMkv ? 'video/x-matroska' : produced.contentType,
    sizeBytes: produced.sizeBytes,
  };
}
