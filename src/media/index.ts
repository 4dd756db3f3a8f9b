/**
 * The media capability: running tools (process runner), reading media (ffprobe), converting it
 * (ffmpeg operations, HLS/DASH ladders) and planning which conversions a job needs.
 */
export {
  abortError,
  activeProcessCount,
  activeProcessIds,
  createNodeProcessRunner,
  type NodeProcessRunnerOptions,
  type ProcessRunner,
  type RunOptions,
  type RunResult,
} from './process-runner.js';
export { probeMedia, type MediaProbe, type MediaStream, type ProbeMediaOptions } from './ffprobe.js';
export {
  contentTypeFor,
  resolveContainer,
  type ContainerEvidence,
  type ContainerExt,
  type MediaContainer,
} from './media-container.js';
export {
  createFfmpeg,
  type AudioCodec,
  type Ffmpeg,
  type FfmpegDeps,
  type FfmpegOperationOptions,
  type LadderOptions,
  type VideoContainer,
} from './ffmpeg.js';
export { FfmpegProgressParser, type MediaProgress } from './ffmpeg-progress.js';
export { buildAbrLadderArgs, type LadderKind, type LadderResult, type LadderRung } from './abr-ladder.js';
export {
  DEFAULT_RENDITIONS,
  selectRenditions,
  validateRenditions,
  type Rendition,
} from './rendition-ladder.js';
export { checkOutput, type OutputExpectation } from './output-check.js';
export {
  planOutputs,
  type MediaStep,
  type OutputPlan,
  type OutputPlanInput,
  type PlannedArtifact,
} from './output-plan.js';
export { executeOutputPlan, type ExecutePlanOptions, type ProducedArtifact } from './output-plan-runner.js';
export {
  qualityHeight,
  type ArtifactRole,
  type MediaFormatKind,
  type MediaFormatRequest,
  type MediaQuality,
} from './media-format.js';
export type { MediaToolPaths } from './media-tool-paths.js';
