#!/bin/sh
# Start Kyutai's moshi-server from one of our config templates.
#   moshi-entrypoint <template.toml> [moshi-server worker arguments…]
# Secrets arrive as files (VAR_FILE → VAR, as in entrypoint.sh); the template's
# @SPEECH_API_KEY@ and @BATCH_SIZE@ are filled in from UNMUTE_SPEECH_API_KEY and
# UNMUTE_SLOTS, and the Hugging Face token (for the model download) is stored where the
# server's hub client looks for it.
set -eu
for name in $(env | sed -n 's/^\([A-Za-z0-9_]*\)_FILE=.*$/\1/p'); do
  eval "path=\${${name}_FILE}"
  [ -r "$path" ] || { echo "moshi-entrypoint: cannot read $path for $name" >&2; exit 1; }
  value=$(cat "$path")
  export "$name=$value"
  unset "${name}_FILE"
done

template=$1
shift
: "${UNMUTE_SPEECH_API_KEY:?the speech API key is required}"
: "${UNMUTE_SLOTS:?UNMUTE_SLOTS (the batch size) is required}"
case "$UNMUTE_SLOTS" in *[!0-9]*) echo "UNMUTE_SLOTS must be a number" >&2; exit 1 ;; esac
case "$UNMUTE_SPEECH_API_KEY" in *[!A-Za-z0-9_-]*)
  echo "the speech API key may only hold letters, digits, '-' and '_'" >&2; exit 1 ;;
esac

work=${TMPDIR:-/tmp}
mkdir -p "$work/moshi-logs"
config=$work/moshi-config.toml
sed -e "s/@SPEECH_API_KEY@/$UNMUTE_SPEECH_API_KEY/g" -e "s/@BATCH_SIZE@/$UNMUTE_SLOTS/g" \
  "$template" > "$config"

if [ -n "${HF_TOKEN:-}" ]; then
  mkdir -p "${HF_HOME:-$HOME/.cache/huggingface}"
  printf '%s' "$HF_TOKEN" > "${HF_HOME:-$HOME/.cache/huggingface}/token"
fi
exec moshi-server worker --config "$config" "$@"
