module.exports = {
  platform: "github",
  endpoint: "https://api.github.com/",
  token: "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",
  repositories: ["acme/api", "acme/web"],
  onboarding: false,
  prHourlyLimit: 4,
};
