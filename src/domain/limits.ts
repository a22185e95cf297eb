/**
 * Every maximum of the domain, in one place, each with its reason (STYLE.md rule 9).
 * Adapters have their own limits (message bytes, page size) in their own `limits.ts`.
 */

/** Longest metered session: a day. Longer is a stuck session, not a conversation. */
export const SESSION_DURATION_S_MAX = 86_400;

/** Paliers per tier list. The Minitel grids had five; 32 leaves room without unbounded work. */
export const TIERS_PER_LIST_MAX = 32;

/** Wall-clock bands per tariff. Peak/off-peak/night/week-end fit in four; rating work grows with bands. */
export const BANDS_PER_TARIFF_MAX = 16;

/** Free window: up to an hour. A longer free window is a free service, not a tariff. */
export const FREE_SECONDS_MAX = 3_600;

/** Minimum billed block: up to an hour, so a minimum can never hide a day's charge. */
export const MINIMUM_SECONDS_MAX = 3_600;

/** Billing increment: up to an hour (the coarsest grid seen in practice is a started half-hour). */
export const INCREMENT_SECONDS_MAX = 3_600;

/** `perSeconds` of a price: up to a day ("x per day" is the coarsest unit that makes sense here). */
export const PER_SECONDS_MAX = 86_400;

/** Decimals of a unit price or fee: six keeps every rating product an exact bigint of small size. */
export const PRICE_DECIMALS_MAX = 6;

/** Decimals of the rounded total: six, the finest grid of any rating engine we import vectors from. */
export const ROUNDING_DECIMALS_MAX = 6;

/** Largest single price, fee or cap in major units: far above any legal ceiling, far below bigint trouble. */
export const AMOUNT_MAJOR_MAX = '1000000';

/** Band names are labels on a bill line. */
export const BAND_NAME_LENGTH_MAX = 64;

/** Cached band timelines per tariff (UTC days); bounded so a long-running server's memory is too. */
export const BAND_TIMELINE_DAYS_CACHED_MAX = 1_024;

/**
 * Entries listed per kind of discrepancy in a reconciliation report: enough to act on, small
 * enough to read; the counts are always complete (a million mismatches would be a 100 MB report).
 */
export const RECONCILIATION_LISTED_MAX = 1_000;

/**
 * Characters kept of one field of a declaration file: its longest legitimate field is an id (64)
 * or an instant (29). A longer field is cut (and then fails its format), so a hostile file of one
 * endless field cannot fill the memory.
 */
export const DECLARATION_FIELD_CHARS_MAX = 256;

/** Fields kept of one row of a declaration file: five are named; extra columns are allowed, not without end. */
export const DECLARATION_FIELDS_PER_ROW_MAX = 64;

/** Tolerance on billed seconds in a reconciliation: up to an hour (the coarsest billing increment); more would hide real disagreements. */
export const RECONCILIATION_TOLERANCE_S_MAX = 3_600;

/**
 * Announcement texts kept composed, one per tariff version and locale (the cap's line is added at
 * each quote): a server announces a few versions per offer; bounded so memory is too.
 */
export const ANNOUNCEMENTS_CACHED_MAX = 1_024;
