import { defineJourney } from "../support/journey-steps";
import { embeddedJourneyStore } from "../support/journey-stores";

defineJourney("journey on the embedded store", embeddedJourneyStore);
