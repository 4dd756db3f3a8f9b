import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Ffmpeg } from './ffmpeg.js';
import type { MediaProbe } from './ffprobe.js';
import type { LadderResult } from './abr-ladder.js';
import type { MediaStep, OutputPlan, PlannedArtifact } from './output-plan.js';

export interface ProducedArtifact extends PlannedArtifact {
  /** Bytes of the file, or of all files of an hls/dash directory. */
  readonly sizeBytes: number;
  /** hls/dash: every file of the directory, relative to `dir`. */
  readonly files?: readonly string[];
  /** The probe of the written file (for the source unchanged: undefined, the caller has it). */
  readonly probe?: MediaProbe;
}

export interface ExecutePlanOptions {
  readonly signal: AbortSignal;
  /** Overall fraction across the plan's steps (weighted by cost), never decreasing. */
  readonly onProgress?: (progress: {
    readonly fraction: number;
    readonly step: number;
    readonly op: MediaStep['op'];
  }) => void;
}

/** Rough relative cost, so a quick remux does not take half the progress bar from a ladder. */
const WEIGHT: Readonly<Record<MediaStep['op'], number>> = {
  remux: 1,
  'extract-audio': 1,
  thumbnail: 0.5,
  transcode: 4,
  hls: 6,
  dash: 6,
};

async function runStep(
  ffmpeg: Ffmpeg,
  step: MediaStep,
  opts: { signal: AbortSignal; onProgress: (p: { fraction?: number }) => void },
): Promise<MediaProbe | LadderResult> {
  switch (step.op) {
    case 'remux':
      return ffmpeg.remux(step.input, step.output, opts);
    case 'transcode':
      return ffmpeg.transcodeToHeight(step.input, step.output, step.maxHeight, step.container, opts);
    case 'extract-audio':
      return ffmpeg.extractAudio(step.input, step.output, step.codec, opts);
    case 'thumbnail':
      return ffmpeg.thumbnail(step.input, step.output, opts);
    case 'hls':
    case 'dash': {
      const ladderOptions = {
        ...opts,
        ...(step.maxHeight !== undefined ? { maxHeight: step.maxHeight } : {}),
      };
      return step.op === 'hls'
        ? ffmpeg.hlsLadder(step.input, step.outDir, step.renditions, ladderOptions)
        : ffmpeg.dashLadder(step.input, step.outDir, step.renditions, ladderOptions);
    }
  }
}

/** Runs a plan's steps in order and returns its artifacts with their sizes and probes. */
export async function executeOutputPlan(
  plan: OutputPlan,
  ffmpeg: Ffmpeg,
  options: ExecutePlanOptions,
): Promise<ProducedArtifact[]> {
  const total = plan.steps.reduce((sum, s) => sum + WEIGHT[s.op], 0);
  let doneWeight = 0;
  let reported = 0;
  const results: (MediaProbe | LadderResult)[] = [];

  for (const [index, step] of plan.steps.entries()) {
    const report = (stepFraction: number): void => {
      const fraction = total === 0 ? 1 : Math.min(1, (doneWeight + WEIGHT[step.op] * stepFraction) / total);
      if (fraction < reported) return;
      reported = fraction;
      options.onProgress?.({ fraction, step: index, op: step.op });
    };
    results.push(
      await runStep(ffmpeg, step, { signal: options.signal, onProgress: (p) => report(p.fraction ?? 0) }),
    );
    doneWeight += WEIGHT[step.op];
    report(1);
  }

  return Promise.all(
    plan.artifacts.map(async (artifact): Promise<ProducedArtifact> => {
      const result = artifact.step === undefined ? undefined : results[artifact.step];
      if (result !== undefined && 'manifestPath' in result) {
        const sizes = await Promise.all(
          result.files.map(async (f) => (await stat(join(result.dir, f))).size),
        );
        return {
          ...artifact,
          sizeBytes: sizes.reduce((a, b) => a + b, 0),
          files: result.files,
          probe: result.probe,
        };
      }
      if (result !== undefined) {
        // The probe of the real output is the truth for the extension and Content-Type.
        return {
          ...artifact,
          ext: result.container.ext,
          contentType: result.container.contentType,
          sizeBytes: result.sizeBytes,
          probe: result,
        };
      }
      return { ...artifact, sizeBytes: (await stat(artifact.path)).size };
    }),
  );
}
