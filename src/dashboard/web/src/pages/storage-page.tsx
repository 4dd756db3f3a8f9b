import type { RefObject } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { DestinationView, VerificationReport } from '../../../../client/index.js';
import { ConfirmButton } from '../components/buttons.js';
import { CapabilityReport } from '../components/capability-report.js';
import { Empty, Loading, ProblemNotice } from '../components/problem-notice.js';
import { announce } from '../lib/announce.js';
import { api, asProblem, call, type Problem } from '../lib/api.js';
import { DestinationForm } from './destination-form.js';

export function StoragePage({ headingRef }: { headingRef: RefObject<HTMLHeadingElement | null> }) {
  const [items, setItems] = useState<DestinationView[] | undefined>(undefined);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const load = useCallback(async () => {
    try {
      setItems((await call(api.GET('/v1/destinations'))).items);
      setProblem(undefined);
    } catch (error) {
      setProblem(asProblem(error));
    }
  }, []);
  useEffect(() => void load(), [load]);

  return (
    <>
      <h1 tabIndex={-1} ref={headingRef}>
        Storage
      </h1>
      <p class="lead">
        Buckets your imports are delivered to. Without one, imports go to this server's managed storage.
        Secrets are stored encrypted and never shown again.
      </p>
      <section aria-labelledby="destinations-title" class="section">
        <h2 id="destinations-title">Destinations</h2>
        {problem !== undefined && <ProblemNotice problem={problem} title="Could not load the destinations" />}
        {items === undefined && problem === undefined && <Loading what="destinations" />}
        {items !== undefined && items.length === 0 && (
          <Empty>
            <p>No destinations yet: imports go to managed storage.</p>
            <p>Add your bucket with the form below.</p>
          </Empty>
        )}
        {items !== undefined && items.length > 0 && (
          <ul class="cards" aria-label="Saved destinations">
            {items.map((item) => (
              <DestinationCard key={item.id} item={item} onChanged={load} />
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="add-destination-title" class="section">
        <h2 id="add-destination-title">Add a destination</h2>
        <DestinationForm onSaved={load} />
      </section>
    </>
  );
}

function DestinationCard({ item, onChanged }: { item: DestinationView; onChanged: () => Promise<void> }) {
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const [report, setReport] = useState<VerificationReport | undefined>(undefined);
  const [busy, setBusy] = useState<string | undefined>(undefined);
  const titleId = `dest-${item.id}`;
  const act = async (what: string, action: () => Promise<void>) => {
    setBusy(what);
    setProblem(undefined);
    try {
      await action();
    } catch (error) {
      setProblem(asProblem(error));
    } finally {
      setBusy(undefined);
    }
  };
  const report0 = report ?? item.capabilities ?? undefined;
  return (
    <li class="card destination" aria-labelledby={titleId}>
      <div class="card-head">
        <h3 id={titleId}>{item.name}</h3>
        {item.default && <span class="badge default">Default</span>}
      </div>
      <dl class="facts">
        <dt>Provider</dt>
        <dd>{item.provider}</dd>
        <dt>Bucket</dt>
        <dd>
          <code>{item.bucket}</code>
          {item.pathPrefix !== null && item.pathPrefix !== '' && (
            <>
              {' '}
              under <code>{item.pathPrefix}/</code>
            </>
          )}
        </dd>
        <dt>Endpoint</dt>
        <dd class="break">{item.endpoint ?? 'provider default'}</dd>
        <dt>Region</dt>
        <dd>{item.region}</dd>
        <dt>Access key</dt>
        <dd>
          <code>{item.accessKeyId}</code>
        </dd>
      </dl>
      {report0 !== undefined && report0 !== null && (
        <details open={report !== undefined}>
          <summary>Permissions {report0.ok ? '(verified)' : '(failed)'}</summary>
          <CapabilityReport
            report={report0}
            heading={report0.ok ? 'The bucket accepts uploads' : 'The bucket refused the test upload'}
          />
        </details>
      )}
      {problem !== undefined && <ProblemNotice problem={problem} />}
      <div class="actions">
        {!item.default && (
          <button
            type="button"
            class="button secondary"
            disabled={busy !== undefined}
            aria-describedby={titleId}
            onClick={() =>
              void act('default', async () => {
                await call(
                  api.PATCH('/v1/destinations/{name}', {
                    params: { path: { name: item.name } },
                    body: { default: true },
                  }),
                );
                announce(`${item.name} is now the default destination.`);
                await onChanged();
              })
            }
          >
            {busy === 'default' ? 'Saving…' : 'Make default'}
          </button>
        )}
        <button
          type="button"
          class="button secondary"
          disabled={busy !== undefined}
          aria-describedby={titleId}
          onClick={() =>
            void act('test', async () => {
              setReport(undefined);
              const result = await call(
                api.POST('/v1/destinations/{name}/test', { params: { path: { name: item.name } } }),
              );
              setReport(result);
              announce(result.ok ? `${item.name}: connection works.` : `${item.name}: connection failed.`);
            })
          }
        >
          {busy === 'test' ? 'Testing…' : 'Test again'}
        </button>
        <ConfirmButton
          label="Delete"
          confirmLabel={`Delete ${item.name}`}
          busyLabel="Deleting…"
          describedBy={titleId}
          onConfirm={() =>
            act('delete', async () => {
              await call(api.DELETE('/v1/destinations/{name}', { params: { path: { name: item.name } } }));
              announce(`${item.name} deleted.`);
              await onChanged();
            })
          }
        />
      </div>
    </li>
  );
}
