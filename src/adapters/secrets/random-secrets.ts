/** Bearer tokens for quotes and sessions: `<prefix>_` + 160 random bits in base 32. */
import type { Secrets } from '../../app/ports/index.ts';
import { newApiSecret } from './new-api-secret.ts';

export const randomSecrets: Secrets = {
  newToken: (prefix) => newApiSecret(`${prefix}_`),
};
