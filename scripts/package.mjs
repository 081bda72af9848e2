// `npm run package` (after the build): nnmodel.vsix at the repository root, packaged with the same
// vsce arguments as the VSIX that `npm start`, the e2e tests and bench:e2e install.
import { join } from 'node:path';
import { packageVsix, repoRoot } from './setup-code-server.mjs';

process.exit(packageVsix(join(repoRoot, 'nnmodel.vsix')));
