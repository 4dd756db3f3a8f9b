import type { VerificationReport } from '../../../../client/index.js';
import { formatDate } from '../lib/format.js';

const CAPABILITIES: Array<{ key: keyof VerificationReport['capabilities']; label: string; why: string }> = [
  { key: 'put', label: 'Write', why: 'uploads (required)' },
  { key: 'read', label: 'Read', why: 'integrity check after upload' },
  { key: 'list', label: 'List', why: 'ifExists rules' },
  { key: 'delete', label: 'Delete', why: 'cleanup of canceled uploads' },
  { key: 'presign', label: 'Presigned links', why: 'download links and the player' },
];

/** What a Test connection found: each probed permission, and why a probe failed. */
export function CapabilityReport({ report, heading }: { report: VerificationReport; heading: string }) {
  return (
    <section class="report" aria-label={heading}>
      <p class="report-title">
        {report.ok ? '✓ ' : '✗ '}
        {heading}
      </p>
      <ul class="capabilities">
        {CAPABILITIES.map(({ key, label, why }) => {
          const ok = report.capabilities[key];
          const error = report.probeErrors[key];
          return (
            <li key={key} class={ok ? 'cap-yes' : 'cap-no'}>
              <span aria-hidden="true">{ok ? '✓' : '✗'}</span> {label}
              <span class="visually-hidden">{ok ? ': allowed' : ': not allowed'}</span>
              <span class="muted"> — {why}</span>
              {error !== undefined && <span class="probe-error"> ({error})</span>}
            </li>
          );
        })}
      </ul>
      <p class="muted small">
        Checked {formatDate(report.checkedAt)} in {Math.round(report.durationMs)} ms
        {report.markerRemoved
          ? '; the test object was removed.'
          : '; the test object could not be removed (no delete permission).'}
      </p>
    </section>
  );
}
