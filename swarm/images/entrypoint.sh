#!/bin/sh
# Docker secrets arrive as files under /run/secrets. For every VAR_FILE in the environment,
# export VAR with that file's content: the secret never appears in the service definition
# (`docker service inspect` shows only the path), yet the program reads a plain variable.
set -eu
for name in $(env | sed -n 's/^\([A-Za-z0-9_]*\)_FILE=.*$/\1/p'); do
  eval "path=\${${name}_FILE}"
  if [ ! -r "$path" ]; then
    echo "unmute-entrypoint: $name comes from $path, which cannot be read" >&2
    exit 1
  fi
  value=$(cat "$path")
  export "$name=$value"
  unset "${name}_FILE"
done
exec "$@"
