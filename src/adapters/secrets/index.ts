/** Secrets at the edge: the MSISDN key, random API key secrets, the demo credentials file. */
export { demoCredentialsJson, demoCredentialsPath, writeDemoCredentialsFile } from './demo-credentials-file.ts';
export { type MsisdnKey, type MsisdnKeyProblem, type MsisdnKeySource, msisdnKeyFilePath, resolveMsisdnKey } from './msisdn-key.ts';
export { base32, newApiSecret } from './new-api-secret.ts';
export { randomSecrets } from './random-secrets.ts';
