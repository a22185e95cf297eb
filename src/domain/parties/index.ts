/** Carriers, subscribers, merchants, offers, agreements and API keys. */
export * from './parties.ts';
export { hashApiKeySecret } from './hash-api-key-secret.ts';
export { normaliseMsisdn, pseudonymiseMsisdn } from './msisdn.ts';
export { type AgreementPlan, agreementTermsProblems, planAgreementVersion } from './agreement-versions.ts';
