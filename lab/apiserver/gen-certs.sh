#!/bin/bash
# Makes a throwaway CA and a server certificate for raven-apiserver (SAN
# 127.0.0.1, ::1 and localhost, plus any extra names given), with the openssl CLI.
#
#   lab/apiserver/gen-certs.sh DIR [EXTRA_SAN...]   e.g. IP:198.18.0.1 DNS:api.lab
#
# Writes DIR/ca.crt, DIR/ca.key, DIR/server.crt, DIR/server.key (keys 0600).
# EC P-256 keys, valid for 30 days: for tests and the lab only.
set -euo pipefail

if (( $# < 1 )); then
  echo "usage: $0 DIR [EXTRA_SAN...]" >&2
  exit 2
fi
dir=$1
shift
mkdir -p "$dir"
umask 077

san="IP:127.0.0.1,IP:::1,DNS:localhost"
for extra in "$@"; do san+=",$extra"; done

openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
  -keyout "$dir/ca.key" -out "$dir/ca.crt" -days 30 -subj "/CN=raven-apiserver test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  2>/dev/null
openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
  -keyout "$dir/server.key" -out "$dir/server.csr" -subj "/CN=raven-apiserver" 2>/dev/null
ext=$(mktemp)
trap 'rm -f "$ext" "$dir/server.csr" "$dir/ca.srl"' EXIT
printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' \
  "$san" >"$ext"
openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
  -out "$dir/server.crt" -days 30 -extfile "$ext" 2>/dev/null
chmod 0644 "$dir/ca.crt" "$dir/server.crt"
echo "$dir: ca.crt server.crt server.key (SAN $san)"
