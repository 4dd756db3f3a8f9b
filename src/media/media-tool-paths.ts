/** Where the external tools are; from configuration (`BUCKETLOAD_FFMPEG_PATH`, …), never guessed here. */
export interface MediaToolPaths {
  readonly ffmpegPath: string;
  readonly ffprobePath: string;
  readonly ytdlpPath: string;
}
