#!/bin/sh
# Wraps the cardano-cli shim ($REAL_CARDANO_CLI) like a cardano-cli older than
# 8.0 (no --all-stake-pools), to drive the chain observer's fallback path.
case "$*" in
*--all-stake-pools*) echo "Invalid option \`--all-stake-pools'" >&2; exit 1 ;;
esac
exec "$REAL_CARDANO_CLI" "$@"
