/** Tariffs: format v1, parsing and validation, canonical form and hash, jurisdiction profiles. */
export { canonicalTariffJson, sha256Hex, type TariffBody, tariffHash, tariffToJson } from './canonical-tariff.ts';
export { parseTariff, type ParseTariffOptions } from './parse-tariff.ts';
export {
  checkProfile, isProfileId, type JurisdictionProfile, PROFILE_IDS, PROFILES, type ProfileId, type ProfileOptions,
  SVA_NUMBER_RANGES, type SvaNumberRange,
} from './profiles.ts';
export type { Band, FlatPrice, IsoWeekday, MaxCost, MaxCostStrategy, Tariff, TariffRounding, Tier } from './tariff.ts';
export { MAX_COST_STRATEGIES } from './tariff.ts';
export { amountSchema, type TariffInput, type TariffJson, tariffJsonSchema, tariffSchema } from './tariff-schema.ts';
