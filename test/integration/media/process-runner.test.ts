import { afterEach, describe, expect, it } from 'vitest';
import { AppError, isAbortError } from '../../../src/core/errors.js';
import { activeProcessCount, createNodeProcessRunner } from '../../../src/media/process-runner.js';
import { isPidAlive } from './support/media-tools.js';

// Real: /bin/sh, sleep and the node child_process runner. No fakes.

const runner = createNodeProcessRunner({ killGraceMs: 300 });
const never = new AbortController().signal;

async function waitFor(predicate: () => boolean, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

afterEach(() => {
  expect(activeProcessCount()).toBe(0);
});

describe('node process runner (real processes)', () => {
  it('captures output, exit code and lines', async () => {
    const lines: string[] = [];
    const result = await runner.run('/bin/sh', ['-c', 'printf "a\\nb\\r\\nc"; echo oops >&2; exit 3'], {
      signal: never,
      onStdoutLine: (l) => lines.push(l),
    });
    expect(result.exitCode).toBe(3);
    expect(result.stdout).toBe('a\nb\r\nc');
    expect(result.stderr).toBe('oops\n');
    expect(lines).toEqual(['a', 'b', 'c']);
  });

  it('caps captured output: head of stdout, tail of stderr', async () => {
    const result = await runner.run(
      '/bin/sh',
      ['-c', 'i=0; while [ $i -lt 200 ]; do echo line$i; echo err$i >&2; i=$((i+1)); done'],
      { signal: never, maxStdoutBytes: 20, maxStderrBytes: 12 },
    );
    expect(result.stdout).toBe('line0\nline1\nline2\nli');
    expect(result.stdoutTruncated).toBe(true);
    expect(result.stderr).toBe('r198\nerr199\n');
    expect(result.stderrTruncated).toBe(true);
  });

  it('maps a missing binary to TOOL_MISSING', async () => {
    const err = await runner.run('/nonexistent/ffmpeg', [], { signal: never }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('TOOL_MISSING');
  });

  it('rejects at once for an already aborted signal', async () => {
    const ac = new AbortController();
    ac.abort();
    const err = await runner.run('/bin/sh', ['-c', 'exit 0'], { signal: ac.signal }).catch((e: unknown) => e);
    expect(isAbortError(err)).toBe(true);
  });

  it('on abort kills the whole process group, grandchildren included', async () => {
    const ac = new AbortController();
    let grandchild = 0;
    const pending = runner.run('/bin/sh', ['-c', 'sleep 30 & echo $!; wait'], {
      signal: ac.signal,
      onStdoutLine: (line) => {
        grandchild = Number(line);
        ac.abort();
      },
    });
    const err = await pending.catch((e: unknown) => e);
    expect(isAbortError(err)).toBe(true);
    expect(grandchild).toBeGreaterThan(0);
    await waitFor(() => !isPidAlive(grandchild));
  });

  it('escalates to SIGKILL when the group ignores SIGTERM', async () => {
    const ac = new AbortController();
    const started = Date.now();
    let pid = 0;
    // `trap "" TERM` is inherited by sleep: neither process dies of SIGTERM.
    const pending = runner.run('/bin/sh', ['-c', 'trap "" TERM; echo $$; sleep 30; echo done'], {
      signal: ac.signal,
      onStdoutLine: (line) => {
        pid = Number(line);
        ac.abort();
      },
    });
    const err = await pending.catch((e: unknown) => e);
    expect(isAbortError(err)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(isPidAlive(pid)).toBe(false);
  });

  it('a throwing line callback stops the process and rejects with its error', async () => {
    const err = await runner
      .run('/bin/sh', ['-c', 'echo first; sleep 30'], {
        signal: never,
        onStdoutLine: () => {
          throw new Error('too large');
        },
      })
      .catch((e: unknown) => e);
    expect((err as Error).message).toBe('too large');
  });
});
