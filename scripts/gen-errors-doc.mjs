// Writes docs/errors.md from the compiled catalogue (run `npm run build` first).
import fs from 'node:fs';
import { renderErrorsDoc } from '../dist/core/error-docs.js';

fs.writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorsDoc());
