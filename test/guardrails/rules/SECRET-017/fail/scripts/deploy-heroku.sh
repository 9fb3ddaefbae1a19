#!/usr/bin/env bash
set -euo pipefail
export HEROKU_API_KEY=HRKU-BAkt5qbi4DUNmSjkzYWNmVzB-OgwzP1VP-EbWa8FcsIuf94JeT9xViM9863g
heroku container:push web --app acme-staging
heroku container:release web --app acme-staging
