// `npm run token -- --account <id> [--scope "<scopes>"] [--expires 1h]`:
// prints a bearer token the local server accepts, and nothing else.
import { parseArgs } from 'node:util';
import { loadOrCreateKeys, signToken, DEFAULT_SCOPE } from './jwt.js';
import { DATA_DIR } from './paths.js';

const { values } = parseArgs({
  options: {
    account: { type: 'string' },
    scope: { type: 'string', default: DEFAULT_SCOPE },
    expires: { type: 'string', default: '12h' },
  },
  strict: true,
});

if (!values.account) {
  process.stderr.write('usage: npm run token -- --account <id> [--scope "status-reasons:read status-reasons:write"] [--expires 12h]\n');
  process.exit(2);
}
const keys = await loadOrCreateKeys(DATA_DIR);
process.stdout.write(`${await signToken(keys, { account: values.account, scope: values.scope, expiresIn: values.expires })}\n`);
