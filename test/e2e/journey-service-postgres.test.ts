import { defineJourney } from "../support/journey-steps";
import { serviceJourneyStore } from "../support/journey-stores";
import { PG_SKIP_REASON, testPostgresUrl } from "../support/postgres";

const pgUrl = testPostgresUrl();
if (pgUrl) {
  defineJourney("journey on the store service over PostgreSQL", () => serviceJourneyStore(pgUrl));
} else {
  describe.skip(`journey on the store service over PostgreSQL (${PG_SKIP_REASON})`, () => {
    defineJourney("skipped", () => serviceJourneyStore());
  });
}
