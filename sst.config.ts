/// <reference path="./.sst/platform/config.d.ts" />

export default $config({
  app(input) {
    // Same list as infra/data/stage.ts (imports are not available in app()).
    const isProtected = ["production", "prod"].includes(input?.stage ?? "");
    return {
      name: "registry-guard",
      removal: isProtected ? "retain" : "remove",
      protect: isProtected,
      home: "aws",
    };
  },
  async run() {
    const { deploy } = await import("./infra/index.ts");
    return deploy();
  },
});
