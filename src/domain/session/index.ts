/** Sessions: the state machine from consent to rated. */
export * from './session.ts';
export * from './quote.ts';
