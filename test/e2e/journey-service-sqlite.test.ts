import { defineJourney } from "../support/journey-steps";
import { serviceJourneyStore } from "../support/journey-stores";

defineJourney("journey on the store service over SQLite", () => serviceJourneyStore());
