import { useEffect, useState } from 'preact/hooks';
import type { CreateImportBody, DestinationView, ImportView } from '../../../../client/index.js';
import { ProblemNotice } from '../components/problem-notice.js';
import { announce } from '../lib/announce.js';
import { api, asProblem, call, type Problem } from '../lib/api.js';

type Output = 'file' | 'audio' | 'thumbnail' | 'hls' | 'dash';
type Kind = '' | 'video' | 'audio' | 'original';
type Quality = NonNullable<NonNullable<CreateImportBody['format']>['quality']>;
type Container = NonNullable<NonNullable<CreateImportBody['format']>['container']>;

const OUTPUTS: Array<{ value: Output; label: string }> = [
  { value: 'file', label: 'The file' },
  { value: 'audio', label: 'Audio only' },
  { value: 'thumbnail', label: 'Thumbnail' },
  { value: 'hls', label: 'HLS stream' },
  { value: 'dash', label: 'DASH stream' },
];
const QUALITIES: Quality[] = ['best', '2160p', '1440p', '1080p', '720p', '480p', '360p', '240p'];
const CONTAINERS: Container[] = ['mp4', 'webm', 'mkv', 'm4a', 'mp3', 'opus'];

/** Submits POST /v1/imports; the new import appears at the top of the list. */
export function ImportForm({ onCreated }: { onCreated: (item: ImportView) => void }) {
  const [url, setUrl] = useState('');
  const [destination, setDestination] = useState('');
  const [path, setPath] = useState('');
  const [filename, setFilename] = useState('');
  const [kind, setKind] = useState<Kind>('');
  const [quality, setQuality] = useState<Quality | ''>('');
  const [container, setContainer] = useState<Container | ''>('');
  const [outputs, setOutputs] = useState<Output[]>(['file']);
  const [destinations, setDestinations] = useState<DestinationView[]>([]);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);

  useEffect(() => {
    call(api.GET('/v1/destinations'))
      .then((page) => setDestinations(page.items))
      .catch(() => setDestinations([]));
  }, []);
  const defaultDestination = destinations.find((d) => d.default);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (outputs.length === 0) {
      setProblem(asProblem(new Error('Choose at least one output.')));
      return;
    }
    setBusy(true);
    setProblem(undefined);
    const body: CreateImportBody = {
      url: url.trim(),
      outputs,
      ...(destination === '' ? {} : { destination }),
      ...(path.trim() === '' ? {} : { path: path.trim() }),
      ...(filename.trim() === '' ? {} : { filename: filename.trim() }),
      ...(kind === ''
        ? {}
        : {
            format: {
              kind,
              ...(quality === '' ? {} : { quality }),
              ...(container === '' ? {} : { container }),
            },
          }),
    };
    try {
      const created = await call(api.POST('/v1/imports', { body }));
      announce('Import queued.');
      setUrl('');
      onCreated(created);
    } catch (error) {
      setProblem(asProblem(error));
    } finally {
      setBusy(false);
    }
  };

  const toggle = (value: Output, on: boolean) =>
    setOutputs((list) =>
      on ? [...list.filter((o) => o !== value), value] : list.filter((o) => o !== value),
    );

  return (
    <form class="card form" onSubmit={(event) => void submit(event)} aria-labelledby="new-import-title">
      <h2 id="new-import-title">New import</h2>
      <div class="grid">
        <div class="field wide">
          <label for="import-url">Media URL</label>
          <input
            id="import-url"
            type="url"
            required
            value={url}
            onInput={(event) => setUrl(event.currentTarget.value)}
            placeholder="https://example.com/video.mp4"
            aria-describedby="import-url-help"
            spellcheck={false}
          />
          <p id="import-url-help" class="help">
            A direct file, an HLS or DASH manifest, or a page with a video.
          </p>
        </div>
        <div class="field">
          <label for="import-destination">Destination</label>
          <select
            id="import-destination"
            value={destination}
            onChange={(event) => setDestination(event.currentTarget.value)}
          >
            <option value="">
              {defaultDestination === undefined
                ? 'Default (managed storage)'
                : `Default (${defaultDestination.name})`}
            </option>
            <option value="managed">Managed storage</option>
            {destinations.map((d) => (
              <option key={d.id} value={d.name}>
                {d.name} — {d.bucket}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="import-path">Folder</label>
          <input
            id="import-path"
            value={path}
            onInput={(event) => setPath(event.currentTarget.value)}
            placeholder="videos/2026"
            spellcheck={false}
          />
        </div>
        <div class="field">
          <label for="import-filename">File name</label>
          <input
            id="import-filename"
            value={filename}
            onInput={(event) => setFilename(event.currentTarget.value)}
            placeholder="from the source"
            aria-describedby="import-filename-help"
            spellcheck={false}
          />
          <p id="import-filename-help" class="help">
            Without extension; it is added from the real container.
          </p>
        </div>
        <div class="field">
          <label for="import-kind">Format</label>
          <select
            id="import-kind"
            value={kind}
            onChange={(event) => setKind(event.currentTarget.value as Kind)}
          >
            <option value="">As the source</option>
            <option value="video">Video</option>
            <option value="audio">Audio</option>
            <option value="original">Original (no conversion)</option>
          </select>
        </div>
        <div class="field">
          <label for="import-quality">Quality</label>
          <select
            id="import-quality"
            value={quality}
            disabled={kind === '' || kind === 'original'}
            onChange={(event) => setQuality(event.currentTarget.value as Quality | '')}
          >
            <option value="">Best</option>
            {QUALITIES.filter((q) => q !== 'best').map((q) => (
              <option key={q} value={q}>
                at most {q}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="import-container">Container</label>
          <select
            id="import-container"
            value={container}
            disabled={kind === ''}
            onChange={(event) => setContainer(event.currentTarget.value as Container | '')}
          >
            <option value="">Automatic</option>
            {CONTAINERS.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </div>
      </div>
      <fieldset class="outputs">
        <legend>Outputs</legend>
        {OUTPUTS.map((output) => (
          <span class="checkbox-inline" key={output.value}>
            <input
              type="checkbox"
              id={`output-${output.value}`}
              checked={outputs.includes(output.value)}
              onChange={(event) => toggle(output.value, event.currentTarget.checked)}
            />
            <label for={`output-${output.value}`}>{output.label}</label>
          </span>
        ))}
      </fieldset>
      {problem !== undefined && <ProblemNotice problem={problem} title="The import was not created" />}
      <div class="actions">
        <button type="submit" class="button primary" disabled={busy}>
          {busy ? 'Submitting…' : 'Import'}
        </button>
      </div>
    </form>
  );
}
