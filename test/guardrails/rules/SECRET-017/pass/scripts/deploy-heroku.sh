#!/usr/bin/env bash
set -euo pipefail
: "${HEROKU_API_KEY:?set HEROKU_API_KEY in the CI secrets}"
heroku container:push web --app acme-staging
heroku container:release web --app acme-staging
