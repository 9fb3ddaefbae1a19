module.exports = {
  platform: "github",
  endpoint: "https://api.github.com/",
  token: process.env.RENOVATE_TOKEN,
  repositories: ["acme/api", "acme/web"],
  onboarding: false,
  prHourlyLimit: 4,
};
