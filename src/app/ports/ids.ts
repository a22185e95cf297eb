/** Ids for new records: a prefix naming the kind (`chg`, `jnl`, `ses`) and a unique, time-ordered suffix. */
export interface IdGenerator {
  newId(prefix: string): string;
}
