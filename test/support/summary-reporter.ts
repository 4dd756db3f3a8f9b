import type { File, Task } from '@vitest/runner';
import type { Reporter } from 'vitest/node';

/**
 * Prints the plain closing line CI reads — `tests: N passed, N failed, N skipped` — as the very
 * last line of the run (onFinished runs after the default reporter's summary). A file that failed
 * to load counts as one failure, so a broken import can never pass as "0 failed".
 */
export default class SummaryReporter implements Reporter {
  onFinished(files: File[] = [], errors: unknown[] = []): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const visit = (task: Task): void => {
      if (task.type === 'suite') {
        task.tasks.forEach(visit);
        return;
      }
      const state = task.result?.state;
      if (state === 'pass') passed += 1;
      else if (state === 'fail') failed += 1;
      else skipped += 1;
    };
    for (const file of files) {
      const before = passed + failed + skipped;
      file.tasks.forEach(visit);
      if (file.result?.state === 'fail' && passed + failed + skipped === before) failed += 1;
    }
    failed += errors.length;
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
