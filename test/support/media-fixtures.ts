import { execFile } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

// Small real media made by ffmpeg from synthetic lavfi sources (testsrc + sine), generated once
// per machine into <repo>/.test-cache/media-v1/ and reused. Bump the version in CACHE_NAME when a
// command below changes, so stale caches are not reused.

const execFileP = promisify(execFile);
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CACHE_NAME = 'media-v1';
const MANIFEST = 'manifest.json';
const BIG_BIN_SIZE = 20 * 1024 * 1024;

export interface FixtureFile {
  /** Absolute path. */
  readonly path: string;
  /** Path relative to the fixtures dir, with `/` separators (`hls/360p/seg000.ts`). */
  readonly relPath: string;
  readonly size: number;
  /** Lower-case hex. */
  readonly sha256: string;
}

/** Plain data, so the global setup can hand it to test files with `provide`. */
export interface MediaFixtures {
  readonly dir: string;
  /** H.264 + AAC, 1280x720, 4 s, moov first (`+faststart`). */
  readonly videoMp4: FixtureFile;
  /** The same streams remuxed with the moov atom after mdat (unplayable from a pipe). */
  readonly videoMoovEndMp4: FixtureFile;
  /** VP9 + Opus, 640x360, 3 s. */
  readonly videoWebm: FixtureFile;
  /** MP3, 3 s. */
  readonly audioMp3: FixtureFile;
  /** AAC in MP4, 3 s. */
  readonly audioM4a: FixtureFile;
  /** HLS master with 360p and 240p renditions, 2 s MPEG-TS segments, 4 s. */
  readonly hlsMaster: FixtureFile;
  /** DASH, one video (640x360) and one audio adaptation set, 2 s segments, 4 s. */
  readonly dashManifest: FixtureFile;
  /** 20 MiB of deterministic pseudo-random bytes (AES-128-CTR keystream). */
  readonly bigBin: FixtureFile;
  /** Every file (segments included), keyed by relPath. */
  readonly all: Readonly<Record<string, FixtureFile>>;
}

/** What the generator asks ffmpeg for; tests compare ffprobe's answers against these. */
export const MEDIA_FIXTURE_FACTS = {
  videoMp4: { durationS: 4, width: 1280, height: 720, videoCodec: 'h264', audioCodec: 'aac' },
  videoMoovEndMp4: { durationS: 4, width: 1280, height: 720, videoCodec: 'h264', audioCodec: 'aac' },
  videoWebm: { durationS: 3, width: 640, height: 360, videoCodec: 'vp9', audioCodec: 'opus' },
  audioMp3: { durationS: 3, audioCodec: 'mp3' },
  audioM4a: { durationS: 3, audioCodec: 'aac' },
  hls: { durationS: 4, segmentS: 2, renditions: ['360p', '240p'] },
  dash: { durationS: 4, segmentS: 2 },
  bigBin: { size: BIG_BIN_SIZE },
} as const;

interface Manifest {
  version: 1;
  files: Record<string, { size: number; sha256: string }>;
}

let inProcess: Promise<MediaFixtures> | undefined;

/**
 * Returns the fixtures, generating them first if this machine has none. Safe to call from several
 * processes at once: each generates into its own temp dir and the first rename wins.
 */
export function ensureMediaFixtures(): Promise<MediaFixtures> {
  inProcess ??= load().catch((err: unknown) => {
    inProcess = undefined;
    throw err;
  });
  return inProcess;
}

async function load(): Promise<MediaFixtures> {
  const cacheRoot = path.join(REPO_ROOT, '.test-cache');
  const dir = path.join(cacheRoot, CACHE_NAME);
  const existing = await readValidManifest(dir);
  if (existing) return toFixtures(dir, existing);

  await fsp.mkdir(cacheRoot, { recursive: true });
  const tmp = await fsp.mkdtemp(path.join(cacheRoot, `${CACHE_NAME}.tmp-`));
  try {
    const manifest = await generate(tmp);
    // An invalid (half-deleted, hand-edited) cache is replaced; a valid one from a racing
    // process is kept and ours discarded.
    if (fs.existsSync(dir) && !(await readValidManifest(dir)))
      await fsp.rm(dir, { recursive: true, force: true });
    try {
      await fsp.rename(tmp, dir);
      return toFixtures(dir, manifest);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      const winner = await readValidManifest(dir);
      if (!winner) throw new Error(`media fixtures at ${dir} are invalid`, { cause: err });
      return toFixtures(dir, winner);
    }
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
}

async function readValidManifest(dir: string): Promise<Manifest | undefined> {
  try {
    const manifest = JSON.parse(await fsp.readFile(path.join(dir, MANIFEST), 'utf8')) as Manifest;
    if (manifest.version !== 1) return undefined;
    for (const [rel, { size }] of Object.entries(manifest.files)) {
      if ((await fsp.stat(path.join(dir, rel))).size !== size) return undefined;
    }
    return manifest;
  } catch {
    return undefined;
  }
}

function toFixtures(dir: string, manifest: Manifest): MediaFixtures {
  const all: Record<string, FixtureFile> = {};
  for (const [relPath, { size, sha256 }] of Object.entries(manifest.files)) {
    all[relPath] = { path: path.join(dir, relPath), relPath, size, sha256 };
  }
  const pick = (relPath: string): FixtureFile => {
    const file = all[relPath];
    if (!file) throw new Error(`media fixture ${relPath} missing from ${dir}`);
    return file;
  };
  return {
    dir,
    videoMp4: pick('video.mp4'),
    videoMoovEndMp4: pick('video-moov-end.mp4'),
    videoWebm: pick('video.webm'),
    audioMp3: pick('audio.mp3'),
    audioM4a: pick('audio.m4a'),
    hlsMaster: pick('hls/master.m3u8'),
    dashManifest: pick('dash/manifest.mpd'),
    bigBin: pick('big.bin'),
    all,
  };
}

// prettier-ignore
const VIDEO_720 = ['-f', 'lavfi', '-i', 'testsrc=size=1280x720:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'];
// prettier-ignore
const VIDEO_360 = ['-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'];
const SINE = ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100'];
// A keyframe exactly every 2 s so HLS and DASH cut 2 s segments.
// prettier-ignore
const H264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '50', '-keyint_min', '50', '-sc_threshold', '0'];
const AAC = ['-c:a', 'aac', '-b:a', '64k'];

async function generate(dir: string): Promise<Manifest> {
  await fsp.mkdir(path.join(dir, 'hls'));
  await fsp.mkdir(path.join(dir, 'dash'));
  const out = (rel: string): string => path.join(dir, rel);
  // Two lanes for two cores; the moov-end remux needs video.mp4 first.
  // prettier-ignore
  await Promise.all([
    (async () => {
      await ffmpeg([...VIDEO_720, '-t', '4', ...H264, ...AAC, '-movflags', '+faststart', out('video.mp4')]);
      // Without +faststart the mp4 muxer writes moov after mdat.
      await ffmpeg(['-i', out('video.mp4'), '-map', '0', '-c', 'copy', out('video-moov-end.mp4')]);
      await ffmpeg([...SINE, '-t', '3', '-c:a', 'libmp3lame', '-b:a', '64k', out('audio.mp3')]);
      await ffmpeg([...SINE, '-t', '3', ...AAC, '-movflags', '+faststart', out('audio.m4a')]);
      await writeBigBin(out('big.bin'));
    })(),
    (async () => {
      await ffmpeg([
        ...VIDEO_360,
        '-t', '3',
        '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-row-mt', '1', '-b:v', '300k',
        '-pix_fmt', 'yuv420p', '-c:a', 'libopus', '-b:a', '48k',
        out('video.webm'),
      ]);
      await ffmpeg([
        ...VIDEO_360,
        '-t', '4',
        '-filter_complex', '[0:v]split=2[v360][v];[v]scale=426:240[v240]',
        '-map', '[v360]', '-map', '[v240]', '-map', '1:a', '-map', '1:a',
        ...H264, '-b:v:0', '800k', '-b:v:1', '400k', ...AAC,
        '-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'vod',
        '-hls_segment_filename', out('hls/%v/seg%03d.ts'),
        '-master_pl_name', 'master.m3u8',
        '-var_stream_map', 'v:0,a:0,name:360p v:1,a:1,name:240p',
        out('hls/%v/index.m3u8'),
      ]);
      await ffmpeg([
        ...VIDEO_360,
        '-t', '4',
        '-map', '0:v', '-map', '1:a', ...H264, ...AAC,
        '-f', 'dash', '-seg_duration', '2', '-use_template', '1', '-use_timeline', '1',
        '-init_seg_name', 'init-$RepresentationID$.m4s',
        '-media_seg_name', 'chunk-$RepresentationID$-$Number%05d$.m4s',
        '-adaptation_sets', 'id=0,streams=v id=1,streams=a',
        out('dash/manifest.mpd'),
      ]);
    })(),
  ]);

  const files: Manifest['files'] = {};
  for (const rel of await listFiles(dir)) {
    const abs = path.join(dir, rel);
    files[rel] = { size: (await fsp.stat(abs)).size, sha256: await sha256File(abs) };
  }
  const manifest: Manifest = { version: 1, files };
  await fsp.writeFile(path.join(dir, MANIFEST), JSON.stringify(manifest, null, 2));
  return manifest;
}

async function ffmpeg(args: string[]): Promise<void> {
  try {
    await execFileP('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args], {
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`ffmpeg failed making ${args.at(-1) ?? '?'}: ${stderr.trim()}`, { cause: err });
  }
}

// The same bytes on every machine and Node version: AES-128-CTR over zeros with a fixed key.
async function writeBigBin(file: string): Promise<void> {
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16, 0));
  const zeros = Buffer.alloc(1024 * 1024);
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let written = 0; written < BIG_BIN_SIZE; written += zeros.length) yield cipher.update(zeros);
  }
  await pipeline(chunks(), fs.createWriteStream(file));
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fsp.readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else if (entry.isFile() && rel !== MANIFEST) out.push(rel);
  }
  return out.sort();
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest('hex');
}
