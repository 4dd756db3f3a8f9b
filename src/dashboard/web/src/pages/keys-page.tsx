import type { RefObject } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { ApiKeyView, UserView } from '../../../../client/index.js';
import { ConfirmButton, CopyButton } from '../components/buttons.js';
import { Empty, Loading, ProblemNotice } from '../components/problem-notice.js';
import { announce } from '../lib/announce.js';
import { api, asProblem, call, type Problem } from '../lib/api.js';
import { formatDate } from '../lib/format.js';
import type { Identity } from '../lib/session.js';

export function KeysPage(props: {
  identity: Identity;
  headingRef: RefObject<HTMLHeadingElement | null>;
  onOwnKeyRevoked: () => void;
}) {
  const { identity } = props;
  const [keys, setKeys] = useState<ApiKeyView[] | undefined>(undefined);
  const [users, setUsers] = useState<UserView[] | undefined>(undefined);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const load = useCallback(async () => {
    try {
      setKeys((await call(api.GET('/v1/keys'))).items);
      if (identity.isAdmin) setUsers((await call(api.GET('/v1/users'))).items);
      setProblem(undefined);
    } catch (error) {
      setProblem(asProblem(error));
    }
  }, [identity.isAdmin]);
  useEffect(() => void load(), [load]);
  const userName = (id: string) => users?.find((u) => u.id === id)?.name ?? id;

  return (
    <>
      <h1 tabIndex={-1} ref={props.headingRef}>
        API keys
      </h1>
      <p class="lead">
        Keys are shown once, when they are made, and stored only as hashes. A revoked key stops working at
        once.
      </p>
      <CreateKeyForm identity={identity} users={users} onCreated={load} />
      <section class="section" aria-labelledby="keys-title">
        <h2 id="keys-title">{identity.isAdmin ? 'All keys' : 'Your keys'}</h2>
        {problem !== undefined && <ProblemNotice problem={problem} title="Could not load the keys" />}
        {keys === undefined && problem === undefined && <Loading what="keys" />}
        {keys !== undefined && keys.length === 0 && <Empty>No keys.</Empty>}
        {keys !== undefined && keys.length > 0 && (
          <div class="table-wrap">
            <table class="table">
              <caption class="visually-hidden">API keys, with their state</caption>
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  {identity.isAdmin && <th scope="col">User</th>}
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">State</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {keys.map((key) => {
                  const labelId = `key-${key.id}`;
                  const own = key.id === identity.keyId;
                  return (
                    <tr key={key.id} data-key-name={key.name ?? ''} data-key-id={key.id}>
                      <th scope="row" id={labelId}>
                        {key.name ?? 'unnamed'} <code>{key.prefix}…</code>
                        {own && <span class="badge">this session</span>}
                      </th>
                      {identity.isAdmin && <td>{userName(key.userId)}</td>}
                      <td>{formatDate(key.createdAt)}</td>
                      <td>{formatDate(key.lastUsedAt)}</td>
                      <td>
                        {key.revokedAt === null ? (
                          <span class="badge status-completed">Active</span>
                        ) : (
                          <span class="badge status-failed">Revoked {formatDate(key.revokedAt)}</span>
                        )}
                      </td>
                      <td>
                        {key.revokedAt === null && (
                          <ConfirmButton
                            label="Revoke"
                            confirmLabel={own ? 'Revoke and sign out' : 'Confirm revoke'}
                            busyLabel="Revoking…"
                            describedBy={labelId}
                            onConfirm={async () => {
                              try {
                                await call(api.DELETE('/v1/keys/{id}', { params: { path: { id: key.id } } }));
                                announce(`Key ${key.name ?? key.prefix} revoked.`);
                                if (own) props.onOwnKeyRevoked();
                                else await load();
                              } catch (error) {
                                setProblem(asProblem(error));
                              }
                            }}
                          />
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {identity.isAdmin && <UsersSection users={users} onCreated={load} />}
    </>
  );
}

/** A key or a new user's first key, shown once: a read-only field, a copy button, a warning. */
function ShownOnce({
  secret,
  what,
  fieldId,
  onDone,
}: {
  secret: string;
  what: string;
  fieldId: string;
  onDone: () => void;
}) {
  const field = useRef<HTMLInputElement>(null);
  useEffect(() => {
    field.current?.focus();
    field.current?.select();
  }, [secret]);
  return (
    <div class="notice notice-ok shown-once" role="status">
      <p class="notice-title">{what}</p>
      <p>Copy it now: it is not shown again.</p>
      <div class="copy-row">
        <label for={fieldId} class="visually-hidden">
          {what}
        </label>
        <input id={fieldId} ref={field} class="mono" readOnly value={secret} spellcheck={false} />
        <CopyButton text={secret} label="Copy key" fallbackFieldId={fieldId} />
        <button type="button" class="button secondary" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}

function CreateKeyForm({
  identity,
  users,
  onCreated,
}: {
  identity: Identity;
  users: UserView[] | undefined;
  onCreated: () => Promise<void>;
}) {
  const [name, setName] = useState('');
  const [user, setUser] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const [created, setCreated] = useState<string | undefined>(undefined);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      const result = await call(
        api.POST('/v1/keys', {
          body: { ...(name.trim() === '' ? {} : { name: name.trim() }), ...(user === '' ? {} : { user }) },
        }),
      );
      setCreated(result.key);
      setName('');
      announce('Key created. Copy it now: it is not shown again.');
      await onCreated();
    } catch (error) {
      setProblem(asProblem(error));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="section" aria-labelledby="create-key-title">
      <form class="card form" onSubmit={(event) => void submit(event)}>
        <h2 id="create-key-title">Create a key</h2>
        <div class="grid">
          <div class="field">
            <label for="key-name">Name</label>
            <input
              id="key-name"
              maxLength={100}
              value={name}
              onInput={(event) => setName(event.currentTarget.value)}
              placeholder="laptop, ci, …"
            />
          </div>
          {identity.isAdmin && users !== undefined && (
            <div class="field">
              <label for="key-user">For user</label>
              <select id="key-user" value={user} onChange={(event) => setUser(event.currentTarget.value)}>
                <option value="">Me{identity.userName === undefined ? '' : ` (${identity.userName})`}</option>
                {users
                  .filter((u) => u.id !== identity.userId)
                  .map((u) => (
                    <option key={u.id} value={u.name}>
                      {u.name}
                    </option>
                  ))}
              </select>
            </div>
          )}
        </div>
        {problem !== undefined && <ProblemNotice problem={problem} title="No key was created" />}
        <div class="actions">
          <button type="submit" class="button primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create key'}
          </button>
        </div>
        {created !== undefined && (
          <ShownOnce
            secret={created}
            what="Your new API key"
            fieldId="new-key-value"
            onDone={() => setCreated(undefined)}
          />
        )}
      </form>
    </section>
  );
}

function UsersSection({
  users,
  onCreated,
}: {
  users: UserView[] | undefined;
  onCreated: () => Promise<void>;
}) {
  const [name, setName] = useState('');
  const [isAdmin, setIsAdmin] = useState(false);
  const [withKey, setWithKey] = useState(true);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const [created, setCreated] = useState<{ name: string; key: string | undefined } | undefined>(undefined);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      const result = await call(
        api.POST('/v1/users', { body: { name: name.trim(), isAdmin, createKey: withKey } }),
      );
      setCreated({ name: result.user.name, key: result.apiKey });
      setName('');
      announce(`User ${result.user.name} created.`);
      await onCreated();
    } catch (error) {
      setProblem(asProblem(error));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="section" aria-labelledby="users-title">
      <h2 id="users-title">Users</h2>
      {users === undefined ? (
        <Loading what="users" />
      ) : (
        <ul class="chips" aria-label="Users">
          {users.map((u) => (
            <li key={u.id}>
              {u.name}
              {u.isAdmin && <span class="badge admin">admin</span>}
            </li>
          ))}
        </ul>
      )}
      <form class="card form" onSubmit={(event) => void submit(event)} aria-labelledby="create-user-title">
        <h3 id="create-user-title">Create a user</h3>
        <div class="grid">
          <div class="field">
            <label for="user-name">User name</label>
            <input
              id="user-name"
              required
              maxLength={64}
              pattern="[A-Za-z0-9][A-Za-z0-9._@\-]*"
              value={name}
              onInput={(event) => setName(event.currentTarget.value)}
            />
          </div>
          <div class="field checkbox">
            <input
              id="user-admin"
              type="checkbox"
              checked={isAdmin}
              onChange={(event) => setIsAdmin(event.currentTarget.checked)}
            />
            <label for="user-admin">Administrator</label>
          </div>
          <div class="field checkbox">
            <input
              id="user-key"
              type="checkbox"
              checked={withKey}
              onChange={(event) => setWithKey(event.currentTarget.checked)}
            />
            <label for="user-key">Create a first API key</label>
          </div>
        </div>
        {problem !== undefined && <ProblemNotice problem={problem} title="No user was created" />}
        <div class="actions">
          <button type="submit" class="button primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create user'}
          </button>
        </div>
        {created !== undefined &&
          (created.key === undefined ? (
            <div class="notice notice-ok" role="status">
              <p class="notice-title">User {created.name} created.</p>
            </div>
          ) : (
            <ShownOnce
              secret={created.key}
              what={`API key of ${created.name}`}
              fieldId="new-user-key-value"
              onDone={() => setCreated(undefined)}
            />
          ))}
      </form>
    </section>
  );
}
