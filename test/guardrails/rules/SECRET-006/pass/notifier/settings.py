import os

SLACK_CHANNEL = "#deployments"
SLACK_BOT_TOKEN = os.environ["SLACK_BOT_TOKEN"]
REQUEST_TIMEOUT_SECONDS = int(os.environ.get("REQUEST_TIMEOUT_SECONDS", "10"))
