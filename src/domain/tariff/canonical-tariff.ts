/**
 * The canonical JSON of a tariff and its content hash. Canonical means: every field present
 * (defaults filled), keys sorted, amounts written by `Money.toString()` ("0.20"), ratios by
 * `Rate.toString()` ("0.2"), no whitespace. Two files that mean the same tariff hash the same.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { Band, Tariff, Tier } from './tariff.ts';

/** A tariff before its hash is known. */
export type TariffBody = Omit<Tariff, 'hash'>;

type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };

function tierJson(tier: Tier): Json {
  return { fromSecond: tier.fromSecond, incrementSeconds: tier.incrementSeconds, perSeconds: tier.perSeconds, price: tier.price.toString() };
}

function bandJson(band: Band): Json {
  return {
    connectionFee: band.connectionFee.toString(), days: [...band.days], from: band.from, name: band.name,
    priority: band.priority, tiers: band.tiers.map(tierJson), timeZone: band.timeZone, to: band.to,
  };
}

/** The tariff as plain JSON in the v1 format, keys sorted. */
export function tariffToJson(tariff: TariffBody): Json {
  return {
    bands: tariff.bands.map(bandJson),
    connectionFee: tariff.connectionFee.toString(),
    currency: tariff.currency,
    flatPrice: tariff.flatPrice === null ? null : { amount: tariff.flatPrice.amount.toString(), includedSeconds: tariff.flatPrice.includedSeconds },
    freeSeconds: tariff.freeSeconds,
    holdBilled: tariff.holdBilled,
    maxCost: tariff.maxCost === null ? null : { amount: tariff.maxCost.amount.toString(), strategy: tariff.maxCost.strategy },
    minimumSeconds: tariff.minimumSeconds,
    pricesIncludeVat: tariff.pricesIncludeVat,
    profile: tariff.profile,
    rounding: { decimals: tariff.rounding.decimals, mode: tariff.rounding.mode },
    tiers: tariff.tiers.map(tierJson),
    vatRate: tariff.vatRate.toString(),
  };
}

/** The canonical serialisation: `JSON.stringify` of {@link tariffToJson}, whose keys are already sorted. */
export function canonicalTariffJson(tariff: TariffBody): string {
  return JSON.stringify(tariffToJson(tariff));
}

/** `sha256:` followed by the hex SHA-256 of the canonical JSON: the tariff version id. */
export function tariffHash(tariff: TariffBody): string {
  return `sha256:${sha256Hex(canonicalTariffJson(tariff))}`;
}

/** Hex SHA-256 of a UTF-8 string (pure JS, so the domain stays free of node:crypto). */
export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}
