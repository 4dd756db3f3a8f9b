import { useState } from 'preact/hooks';
import type {
  CreateDestinationBody,
  TestDestinationBody,
  VerificationReport,
} from '../../../../client/index.js';
import {
  PROVIDER_NAMES,
  PROVIDER_PRESETS,
  type ProviderName,
} from '../../../../storage/s3/provider-presets.js';
import { CapabilityReport } from '../components/capability-report.js';
import { ProblemNotice } from '../components/problem-notice.js';
import { announce } from '../lib/announce.js';
import { api, asProblem, call, type Problem } from '../lib/api.js';

interface FormState {
  provider: ProviderName;
  name: string;
  endpoint: string;
  region: string;
  accountId: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
  pathPrefix: string;
  storageClass: string;
  acl: '' | 'private' | 'public-read' | 'bucket-default';
  publicEndpoint: string;
  presignExpiresIn: string;
  makeDefault: boolean;
}

const initial = (provider: ProviderName): FormState => ({
  provider,
  name: '',
  endpoint: '',
  region: '',
  accountId: '',
  bucket: '',
  accessKeyId: '',
  secretAccessKey: '',
  forcePathStyle: PROVIDER_PRESETS[provider].forcePathStyle,
  pathPrefix: '',
  storageClass: '',
  acl: '',
  publicEndpoint: '',
  presignExpiresIn: '',
  makeDefault: false,
});

type Outcome =
  | { kind: 'tested'; report: VerificationReport }
  | { kind: 'saved'; name: string; report: VerificationReport | null }
  | { kind: 'problem'; problem: Problem; during: 'test' | 'save' };

/** The fields both Test connection and Save send, without the empty ones. */
function connectionBody(state: FormState): TestDestinationBody {
  const optional = <K extends string>(key: K, value: string) =>
    value.trim() === '' ? {} : ({ [key]: value.trim() } as Record<K, string>);
  return {
    provider: state.provider,
    bucket: state.bucket.trim(),
    accessKeyId: state.accessKeyId.trim(),
    secretAccessKey: state.secretAccessKey,
    forcePathStyle: state.forcePathStyle,
    ...optional('endpoint', state.endpoint),
    ...optional('region', state.region),
    ...(state.provider === 'r2' ? optional('accountId', state.accountId) : {}),
    ...optional('pathPrefix', state.pathPrefix),
    ...optional('storageClass', state.storageClass.toUpperCase()),
    ...optional('publicEndpoint', state.publicEndpoint),
    ...(state.acl === '' ? {} : { acl: state.acl }),
    ...(state.presignExpiresIn.trim() === '' ? {} : { presignExpiresIn: Number(state.presignExpiresIn) }),
  };
}

export function DestinationForm({ onSaved }: { onSaved: () => Promise<void> }) {
  const [state, setState] = useState<FormState>(() => initial('aws'));
  const [busy, setBusy] = useState<'test' | 'save' | undefined>(undefined);
  const [outcome, setOutcome] = useState<Outcome | undefined>(undefined);
  const preset = PROVIDER_PRESETS[state.provider];
  const region = state.region.trim() === '' ? preset.defaultRegion : state.region.trim();
  const derivedEndpoint = preset.endpointFor({
    region,
    accountId: state.accountId.trim() === '' ? undefined : state.accountId.trim(),
  });
  const endpointRequired = preset.endpointFor({ region, accountId: 'account' }) === undefined;

  const set = <K extends keyof FormState>(key: K, value: FormState[K]) =>
    setState((s) => ({ ...s, [key]: value }));
  const text = (key: keyof FormState) => (event: Event) =>
    set(key, (event.currentTarget as HTMLInputElement).value as never);

  const test = async () => {
    setBusy('test');
    setOutcome(undefined);
    try {
      const report = await call(api.POST('/v1/destinations/test', { body: connectionBody(state) }));
      setOutcome({ kind: 'tested', report });
      announce(report.ok ? 'Connection works.' : 'Connection failed.');
    } catch (error) {
      setOutcome({ kind: 'problem', problem: asProblem(error), during: 'test' });
    } finally {
      setBusy(undefined);
    }
  };

  const save = async (event: Event) => {
    event.preventDefault();
    setBusy('save');
    setOutcome(undefined);
    try {
      const body: CreateDestinationBody = {
        ...connectionBody(state),
        name: state.name.trim(),
        ...(state.makeDefault ? { default: true } : {}),
      };
      const saved = await call(api.POST('/v1/destinations', { body }));
      setOutcome({ kind: 'saved', name: saved.name, report: saved.capabilities });
      announce(`Saved ${saved.name}.`);
      setState((s) => ({ ...initial(s.provider), provider: s.provider }));
      await onSaved();
    } catch (error) {
      setOutcome({ kind: 'problem', problem: asProblem(error), during: 'save' });
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <form class="card form" onSubmit={(event) => void save(event)} aria-describedby="destination-form-help">
      <p id="destination-form-help" class="muted">
        Test connection uploads a small marker object, probes read, list, delete and presigned links, and
        removes the marker. Save configuration runs the same test and saves only if the upload works.
      </p>
      <div class="grid">
        <div class="field">
          <label for="dest-provider">Provider</label>
          <select
            id="dest-provider"
            value={state.provider}
            onChange={(event) => {
              const provider = event.currentTarget.value as ProviderName;
              setState((s) => ({
                ...s,
                provider,
                forcePathStyle: PROVIDER_PRESETS[provider].forcePathStyle,
              }));
            }}
          >
            {PROVIDER_NAMES.map((name) => (
              <option key={name} value={name}>
                {PROVIDER_PRESETS[name].label}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="dest-name">Name</label>
          <input
            id="dest-name"
            required
            pattern="[A-Za-z0-9][A-Za-z0-9._\-]*"
            maxLength={64}
            value={state.name}
            onInput={text('name')}
            aria-describedby="dest-name-help"
          />
          <p id="dest-name-help" class="help">
            Used in imports as <code>destination</code>. Letters, digits, <code>. _ -</code>.
          </p>
        </div>
        <div class="field">
          <label for="dest-bucket">Bucket</label>
          <input
            id="dest-bucket"
            required
            minLength={3}
            maxLength={63}
            value={state.bucket}
            onInput={text('bucket')}
            autoComplete="off"
            spellcheck={false}
          />
        </div>
        <div class="field">
          <label for="dest-region">Region</label>
          <input
            id="dest-region"
            value={state.region}
            placeholder={preset.defaultRegion}
            onInput={text('region')}
            aria-describedby="dest-region-help"
            spellcheck={false}
          />
          <p id="dest-region-help" class="help">
            Empty means <code>{preset.defaultRegion}</code>.
          </p>
        </div>
        {state.provider === 'r2' && (
          <div class="field">
            <label for="dest-account">Account ID</label>
            <input
              id="dest-account"
              value={state.accountId}
              onInput={text('accountId')}
              spellcheck={false}
              aria-describedby="dest-account-help"
            />
            <p id="dest-account-help" class="help">
              From the Cloudflare dashboard; it makes the endpoint.
            </p>
          </div>
        )}
        <div class="field wide">
          <label for="dest-endpoint">Endpoint{endpointRequired ? '' : ' (optional)'}</label>
          <input
            id="dest-endpoint"
            type="url"
            required={endpointRequired && state.provider !== 'r2'}
            value={state.endpoint}
            placeholder={derivedEndpoint ?? 'https://minio.example.com:9000'}
            onInput={text('endpoint')}
            aria-describedby="dest-endpoint-help"
            spellcheck={false}
          />
          <p id="dest-endpoint-help" class="help">
            {derivedEndpoint === undefined
              ? 'The S3 API address of your server, with the port.'
              : `Empty means ${derivedEndpoint}.`}
          </p>
        </div>
        <div class="field">
          <label for="dest-access-key">Access key ID</label>
          <input
            id="dest-access-key"
            required
            value={state.accessKeyId}
            onInput={text('accessKeyId')}
            autoComplete="off"
            spellcheck={false}
          />
        </div>
        <div class="field">
          <label for="dest-secret">Secret access key</label>
          <input
            id="dest-secret"
            type="password"
            required
            value={state.secretAccessKey}
            onInput={text('secretAccessKey')}
            autoComplete="new-password"
          />
        </div>
        <div class="field checkbox wide">
          <input
            id="dest-path-style"
            type="checkbox"
            checked={state.forcePathStyle}
            onChange={(event) => set('forcePathStyle', event.currentTarget.checked)}
          />
          <label for="dest-path-style">Path-style addressing</label>
          <p class="help">
            <code>endpoint/bucket/key</code> instead of <code>bucket.endpoint/key</code>; MinIO needs it.
          </p>
        </div>
      </div>
      <details class="advanced">
        <summary>More options</summary>
        <div class="grid">
          <div class="field">
            <label for="dest-prefix">Path prefix</label>
            <input
              id="dest-prefix"
              value={state.pathPrefix}
              onInput={text('pathPrefix')}
              placeholder="incoming"
              spellcheck={false}
            />
          </div>
          <div class="field">
            <label for="dest-class">Storage class</label>
            <input
              id="dest-class"
              value={state.storageClass}
              onInput={text('storageClass')}
              placeholder={preset.storageClasses === 'any' ? 'STANDARD' : preset.storageClasses.join(', ')}
              spellcheck={false}
            />
          </div>
          <div class="field">
            <label for="dest-acl">ACL</label>
            <select
              id="dest-acl"
              value={state.acl}
              onChange={(event) => set('acl', event.currentTarget.value as FormState['acl'])}
            >
              <option value="">Send none (bucket default)</option>
              {preset.acls.map((acl) => (
                <option key={acl} value={acl}>
                  {acl}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="dest-expires">Link lifetime (seconds)</label>
            <input
              id="dest-expires"
              type="number"
              min={1}
              max={604800}
              value={state.presignExpiresIn}
              placeholder="86400"
              onInput={text('presignExpiresIn')}
            />
          </div>
          <div class="field wide">
            <label for="dest-public">Public endpoint for links</label>
            <input
              id="dest-public"
              type="url"
              value={state.publicEndpoint}
              onInput={text('publicEndpoint')}
              placeholder="https://cdn.example.com"
              spellcheck={false}
            />
          </div>
        </div>
      </details>
      <div class="field checkbox">
        <input
          id="dest-default"
          type="checkbox"
          checked={state.makeDefault}
          onChange={(event) => set('makeDefault', event.currentTarget.checked)}
        />
        <label for="dest-default">Make it my default destination</label>
      </div>
      <div class="actions">
        <button
          type="button"
          class="button secondary"
          disabled={busy !== undefined}
          onClick={() => void test()}
        >
          {busy === 'test' ? 'Testing…' : 'Test connection'}
        </button>
        <button type="submit" class="button primary" disabled={busy !== undefined}>
          {busy === 'save' ? 'Saving…' : 'Save configuration'}
        </button>
      </div>
      <div class="outcome" aria-live="polite">
        {outcome?.kind === 'tested' && (
          <div class={`notice ${outcome.report.ok ? 'notice-ok' : 'notice-error'}`}>
            <CapabilityReport
              report={outcome.report}
              heading={outcome.report.ok ? 'Connection works' : 'Connection failed'}
            />
          </div>
        )}
        {outcome?.kind === 'saved' && (
          <div class="notice notice-ok" role="status">
            <p class="notice-title">Saved “{outcome.name}”.</p>
          </div>
        )}
        {outcome?.kind === 'problem' && (
          <ProblemNotice
            problem={outcome.problem}
            title={outcome.during === 'test' ? 'Connection failed' : 'Not saved'}
          />
        )}
      </div>
    </form>
  );
}
