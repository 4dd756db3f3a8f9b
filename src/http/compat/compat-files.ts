import type { ImportFileView, ImportView } from '../../jobs/import-view.js';

/**
 * The file a seed's single-file answer is about: the main `file` artifact, else the first one
 * (an audio-only or HLS-only import has no `file` role).
 */
export function primaryFile(view: ImportView): ImportFileView | undefined {
  const files = view.result?.files ?? [];
  return files.find((file) => file.role === 'file') ?? files[0];
}

/**
 * The object's permanent URL in the user's bucket (Importly's `s3Storage.url`), e.g.
 * `https://bucket.s3.us-east-1.amazonaws.com/videos/2024/my-video.mp4` or, for path-style
 * endpoints, `http://host:9000/bucket/key`. It is the presigned URL without its signature, so it
 * has exactly the host (the destination's `publicEndpoint` when set), addressing style and key
 * encoding the store uses; without a presigned URL it is the `s3://bucket/key` form.
 */
export function objectLocation(file: ImportFileView): string {
  if (file.storage === 'destination' && file.presignedUrl !== null) {
    const url = new URL(file.presignedUrl);
    return `${url.origin}${url.pathname}`;
  }
  return file.url;
}
