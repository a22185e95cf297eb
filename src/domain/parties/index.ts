/** Carriers, subscribers, merchants, offers, agreements and API keys. */
export * from './parties.ts';
export { normaliseMsisdn, pseudonymiseMsisdn } from './msisdn.ts';
