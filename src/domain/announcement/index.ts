/** The price announcement shown before consent. */
export { type Announcement, announce, formatDuration } from './announce.ts';
