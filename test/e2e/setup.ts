// Each end-to-end scenario drives several real `pulumi` runs of a few seconds each.
jest.setTimeout(300_000);
