/**
 * Provider warnings (the key-file warning above all) are said once per process, whichever resource
 * runs into them, and even when a second copy of the module is loaded in the same process.
 */
test("a warning is printed once per process, even from a second copy of the module", () => {
  const lines: string[] = [];
  const spy = jest.spyOn(console, "warn").mockImplementation((m: string) => void lines.push(m));
  try {
    const load = () => {
      let mod: typeof import("../../provider/handlers/log") | undefined;
      jest.isolateModules(() => {
        mod = jest.requireActual<typeof import("../../provider/handlers/log")>("../../provider/handlers/log");
      });
      return mod as typeof import("../../provider/handlers/log");
    };
    const a = load();
    const b = load();
    expect(a).not.toBe(b);
    for (let i = 0; i < 20; i++) a.warn("secrets at rest are encrypted with the key file /tmp/x.key: advice");
    b.warn("secrets at rest are encrypted with the key file /tmp/x.key: advice");
    b.warn("another warning");
    expect(lines).toEqual([
      "warning: smschannels: secrets at rest are encrypted with the key file /tmp/x.key: advice",
      "warning: smschannels: another warning",
    ]);
  } finally {
    spy.mockRestore();
  }
});
