/**
 * Who is calling. Credentials are bearer secrets: API keys (`pk_…`, role operator or merchant,
 * scoped to one carrier or merchant), a session's user token (`ust_…`, that session only) and a
 * quote token (`qtk_…`, consent to that quote only). Only SHA-256 hashes are stored; API keys are
 * cached in memory once found (for a minute: a key can be revoked), tokens for as long as the
 * bound allows (what a token names never changes) — those this server hands out from the moment
 * it does, so their first use reads nothing.
 */
import type { Store } from '../../app/index.ts';
import { sha256Hex } from './sha256.ts';

export type Principal =
  | { readonly kind: 'operator'; readonly carrierId: string; readonly keyId: string }
  | { readonly kind: 'merchant'; readonly merchantId: string; readonly keyId: string }
  | { readonly kind: 'user'; readonly sessionId: string }
  | { readonly kind: 'quote'; readonly quoteId: string; readonly tokenHash: string };

export type PrincipalKind = Principal['kind'];

/** A stable name for rate limits, idempotency records and logs (never the secret). */
export function principalName(principal: Principal): string {
  switch (principal.kind) {
    case 'operator': return `operator:${principal.carrierId}:${principal.keyId}`;
    case 'merchant': return `merchant:${principal.merchantId}:${principal.keyId}`;
    case 'user': return `user:${principal.sessionId}`;
    case 'quote': return `quote:${principal.quoteId}`;
  }
}

/** The bearer secret of an `Authorization: Bearer …` header, or null. */
export function bearerSecret(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^Bearer ([A-Za-z0-9_.-]{8,200})$/.exec(header.trim());
  return match?.[1] ?? null;
}

/** API keys found are cached this long: a revoked key stops working within a minute. */
const API_KEY_CACHE_MS = 60_000;

/**
 * Quote and user tokens found, kept (the most recent ones): a token names its quote or session
 * for ever (neither is deleted, and a token is never reassigned), so what was found stays true.
 * The bound keeps memory in check; one found again after being dropped is read again.
 */
const TOKEN_PRINCIPALS_CACHED_MAX = 50_000;

/**
 * Tokens told to the authenticator as the API hands them out (after what they name is stored), so
 * that their first use needs no read: a flow's consent and end each came with a token never seen.
 */
export interface IssuedTokens {
  quoteIssued(token: string, quoteId: string): void;
  sessionIssued(token: string, sessionId: string): void;
}

export class Authenticator implements IssuedTokens {
  private readonly apiKeys = new Map<string, { principal: Principal; cachedAtMs: number }>();
  private readonly tokens = new Map<string, Principal>();

  constructor(private readonly store: Store, private readonly nowMs: () => number = Date.now) {}

  quoteIssued(token: string, quoteId: string): void {
    const hash = sha256Hex(token);
    this.keep(hash, { kind: 'quote', quoteId, tokenHash: hash });
  }

  sessionIssued(token: string, sessionId: string): void {
    this.keep(sha256Hex(token), { kind: 'user', sessionId });
  }

  /** The principal of a bearer secret, or null when it names nobody (or a revoked key). */
  async authenticate(secret: string): Promise<Principal | null> {
    const hash = sha256Hex(secret);
    if (secret.startsWith('qtk_') || secret.startsWith('ust_')) {
      const known = this.tokens.get(hash);
      if (known !== undefined) return known;
      const principal = await this.tokenPrincipal(secret, hash);
      if (principal !== null) this.keep(hash, principal);
      return principal;
    }
    const cached = this.apiKeys.get(hash);
    if (cached !== undefined && this.nowMs() - cached.cachedAtMs < API_KEY_CACHE_MS) return cached.principal;
    const key = await this.store.findApiKeyByHash(hash);
    const principal: Principal | null = key === null || key.revokedAtMs !== null ? null
      : key.role === 'operator' ? { kind: 'operator', carrierId: key.scopeId, keyId: key.id } : { kind: 'merchant', merchantId: key.scopeId, keyId: key.id };
    if (principal === null) this.apiKeys.delete(hash);
    else this.apiKeys.set(hash, { principal, cachedAtMs: this.nowMs() });
    return principal;
  }

  private keep(hash: string, principal: Principal): void {
    if (this.tokens.size >= TOKEN_PRINCIPALS_CACHED_MAX) this.tokens.delete(this.tokens.keys().next().value as string);
    this.tokens.set(hash, principal);
  }

  private async tokenPrincipal(secret: string, hash: string): Promise<Principal | null> {
    if (secret.startsWith('qtk_')) {
      const quote = await this.store.findQuoteByTokenHash(hash);
      return quote === null ? null : { kind: 'quote', quoteId: quote.id, tokenHash: hash };
    }
    const session = await this.store.findSessionByUserTokenHash(hash);
    return session === null ? null : { kind: 'user', sessionId: session.id };
  }
}
