import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/config.js';
import type { Artifact, ExtractedMedia, MediaEngine } from '../jobs/media-engine.js';
import { createFfmpeg } from '../media/ffmpeg.js';
import { probeMedia } from '../media/ffprobe.js';
import { planOutputs, type MediaStep } from '../media/output-plan.js';
import type { ProcessRunner } from '../media/process-runner.js';
import { startEgressProxy, type EgressPolicy, type EgressProxy } from '../security/egress/index.js';
import { createYtdlpClient } from './ytdlp/ytdlp-client.js';

const TREE_TYPES: Readonly<Record<string, string>> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.mpd': 'application/dash+xml',
  '.ts': 'video/mp2t',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.m4a': 'audio/mp4',
  '.webm': 'video/webm',
};

export interface MediaEngineDeps {
  readonly config: Config;
  readonly runner: ProcessRunner;
  readonly policy: EgressPolicy;
}

/**
 * The MediaEngine of the job pipeline: yt-dlp for pages and manifests, then the ffmpeg steps the
 * output plan asks for. yt-dlp (and ffmpeg, which yt-dlp runs for HLS) connect through a local
 * proxy that enforces the egress policy on every address they reach.
 */
export function createMediaEngine(deps: MediaEngineDeps): MediaEngine & { close(): Promise<void> } {
  const { config, runner } = deps;
  const ytdlp = createYtdlpClient({ runner, ytdlpPath: config.ytdlpPath, ffmpegPath: config.ffmpegPath });
  const ffmpeg = createFfmpeg({ runner, ffmpegPath: config.ffmpegPath, ffprobePath: config.ffprobePath });
  let proxy: Promise<EgressProxy> | undefined;
  const proxyUrl = async (): Promise<string> => {
    proxy ??= startEgressProxy(deps.policy);
    return (await proxy).url;
  };

  return {
    async extract(url, request, options): Promise<ExtractedMedia> {
      const via = await proxyUrl();
      const info = await ytdlp.probeUrl(url, {
        signal: options.signal,
        playlist: request.playlist,
        proxy: via,
        ...(request.maxItems === undefined ? {} : { maxItems: request.maxItems }),
      });
      if (request.playlist && info.isPlaylist && info.entries !== undefined) {
        return {
          title: info.title,
          extractor: info.extractor,
          durationSeconds: null,
          artifacts: [],
          entries: info.entries.map((e) => ({ url: e.url, title: e.title })),
          playlistTitle: info.title,
        };
      }
      const downloadDir = path.join(options.workDir, 'download');
      const outDir = path.join(options.workDir, 'out');
      await fsp.mkdir(downloadDir, { recursive: true });
      await fsp.mkdir(outDir, { recursive: true });
      const format = request.format ?? { kind: 'original' as const };
      const download = await ytdlp.downloadMedia(url, {
        signal: options.signal,
        dir: downloadDir,
        format,
        proxy: via,
        maxFileBytes: config.maxFileBytes,
        onProgress: (p) =>
          options.onProgress({ bytes: p.downloadedBytes, totalBytes: p.totalBytes ?? null, fraction: p.fraction === undefined ? null : p.fraction * 0.6 }),
      });
      const probe = await probeMedia(download.path, { runner, ffprobePath: config.ffprobePath, signal: options.signal });
      const plan = planOutputs({ sourcePath: download.path, probe, workDir: outDir, format, outputs: request.outputs });
      for (const [index, step] of plan.steps.entries()) {
        await runStep(step, options.signal, (fraction) =>
          options.onProgress({
            bytes: download.sizeBytes,
            totalBytes: download.sizeBytes,
            fraction: 0.6 + ((index + fraction) / Math.max(1, plan.steps.length)) * 0.4,
          }),
        );
      }
      const artifacts: Artifact[] = [];
      for (const planned of plan.artifacts) {
        if (planned.dir !== undefined && (planned.role === 'hls' || planned.role === 'dash')) {
          const files = await listTree(planned.dir);
          artifacts.push({
            role: planned.role,
            kind: 'tree',
            dir: planned.dir,
            files: files.map((relPath) => ({ relPath, contentType: TREE_TYPES[path.extname(relPath).toLowerCase()] ?? 'application/octet-stream' })),
            entry: path.relative(planned.dir, planned.path).split(path.sep).join('/'),
          });
        } else {
          artifacts.push({ role: planned.role, kind: 'file', path: planned.path, ext: planned.ext, contentType: planned.contentType });
        }
      }
      return { title: info.title, extractor: info.extractor, durationSeconds: probe.durationSeconds ?? info.duration ?? null, artifacts };
    },

    async probe(target, signal, sizeBytes) {
      const remote = /^https?:\/\//i.test(target);
      const probe = await probeMedia(target, {
        runner,
        ffprobePath: config.ffprobePath,
        signal,
        ...(remote ? { httpProxy: await proxyUrl() } : {}),
        ...(sizeBytes === undefined ? {} : { sizeBytes }),
      });
      return { durationSeconds: probe.durationSeconds ?? null, ext: probe.container.ext, contentType: probe.container.contentType };
    },

    async close() {
      if (proxy !== undefined) await (await proxy).close();
    },
  };

  async function runStep(step: MediaStep, signal: AbortSignal, onFraction: (fraction: number) => void): Promise<void> {
    const options = { signal, onProgress: (p: { fraction?: number }) => onFraction(p.fraction ?? 0) };
    switch (step.op) {
      case 'remux':
        await ffmpeg.remux(step.input, step.output, options);
        return;
      case 'transcode':
        await ffmpeg.transcodeToHeight(step.input, step.output, step.maxHeight, step.container, options);
        return;
      case 'extract-audio':
        await ffmpeg.extractAudio(step.input, step.output, step.codec, options);
        return;
      case 'thumbnail':
        await ffmpeg.thumbnail(step.input, step.output, options);
        return;
      case 'hls':
        await ffmpeg.hlsLadder(step.input, step.outDir, step.renditions, { ...options, ...(step.maxHeight === undefined ? {} : { maxHeight: step.maxHeight }) });
        return;
      case 'dash':
        await ffmpeg.dashLadder(step.input, step.outDir, step.renditions, { ...options, ...(step.maxHeight === undefined ? {} : { maxHeight: step.maxHeight }) });
        return;
    }
  }
}

async function listTree(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fsp.readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listTree(dir, rel)));
    else if (entry.isFile()) out.push(rel);
  }
  return out.sort();
}
