#!/usr/bin/env bash
# Publishes the built front end to the assets bucket and invalidates the CDN.
set -euo pipefail

export AWS_ACCESS_KEY_ID=AKIACNHFAOFICYIONKOH
export AWS_DEFAULT_REGION=eu-west-1

npm run build
aws s3 sync ./dist s3://acme-web-assets --delete --cache-control "public, max-age=300"
aws cloudfront create-invalidation --distribution-id E2QWRUHAPOMQZL --paths "/*"
