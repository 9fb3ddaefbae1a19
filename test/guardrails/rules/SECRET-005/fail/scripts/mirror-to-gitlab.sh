#!/bin/sh
# Mirrors the main branch to the GitLab project used by the on-premise runners.
set -eu
git remote add gitlab "https://oauth2:glpat-_fDwqNClc4GgawMhFpDj@gitlab.acme.io/platform/api.git" 2>/dev/null || true
git push --force gitlab main
