/**
 * A message's delivery status only moves forward. Each status has a rank; an event wins only with
 * a higher rank than the message's current one, so a late `sent` after `delivered` is kept as an
 * event but does not win, and of two terminal states the first stays (except `read`, which follows
 * `delivered`). Statuses this table does not know rank lowest: they are kept, and only name a message
 * that has no status yet.
 */
const RANK: Readonly<Record<string, number>> = {
  accepted: 0,
  scheduled: 0,
  queued: 0,
  sending: 1,
  sent: 2,
  delivered: 3,
  undelivered: 3,
  failed: 3,
  canceled: 3,
  read: 4,
};

export const UNKNOWN_STATUS_RANK = -1;

export function statusRank(status: string): number {
  return RANK[status.toLowerCase()] ?? UNKNOWN_STATUS_RANK;
}
