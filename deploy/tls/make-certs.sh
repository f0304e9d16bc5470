#!/bin/sh
# A private certificate authority and the certificates for edge ↔ central TLS, with openssl.
#
#   deploy/tls/make-certs.sh OUT_DIR CENTRAL_NAME [CENTRAL_NAME…] [--edge EDGE_ID…]
#   deploy/tls/make-certs.sh ./certs central.plant.example 10.0.0.5 --edge plant-1 plant-2
#
# Makes, in OUT_DIR:
#   ca.pem, ca-key.pem            the CA (10 years). ca.pem goes to every edge (PLANTLINK_CENTRAL_CA);
#                                 ca-key.pem stays offline — whoever has it can mint certificates.
#   central.pem, central-key.pem  central's server certificate (397 days) for every CENTRAL_NAME (DNS
#                                 names or IP addresses): PLANTLINK_TLS_CERT / PLANTLINK_TLS_KEY.
#   edge-ID.pem, edge-ID-key.pem  a client certificate per edge (397 days), CN = the edge id, for mTLS
#                                 at a reverse proxy in front of central (PLANTLINK_CLIENT_CERT / _KEY).
#
# Run again with the same OUT_DIR to renew: the CA is reused when present, leaf certificates are
# replaced. Keys are created owner-only (umask 077). Needs only openssl (Debian: apt-get install openssl).
set -eu

usage() {
  sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

[ $# -ge 2 ] || usage
out=$1
shift
command -v openssl >/dev/null 2>&1 || { echo "openssl is not installed (Debian: apt-get install openssl)" >&2; exit 1; }

names=""
edges=""
mode=names
for arg in "$@"; do
  case $arg in
    --edge) mode=edges ;;
    -*) usage ;;
    *) if [ $mode = names ]; then names="$names $arg"; else edges="$edges $arg"; fi ;;
  esac
done
[ -n "$names" ] || usage

umask 077
mkdir -p "$out"
# The folder is readable (keys inside are not): Prometheus reads ca.pem from it as another user.
chmod 0755 "$out"
cd "$out"

if [ ! -f ca.pem ] || [ ! -f ca-key.pem ]; then
  openssl req -x509 -new -nodes -newkey rsa:3072 -sha256 -days 3650 \
    -keyout ca-key.pem -out ca.pem -subj "/O=plantlink/CN=plantlink private CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  echo "made a new CA: $out/ca.pem (keep $out/ca-key.pem offline)"
else
  echo "reusing the CA in $out"
fi
chmod 0644 ca.pem

# subjectAltName entries: IP addresses as IP:, everything else as DNS:.
san=""
for name in $names; do
  case $name in
    *[!0-9.]*) case $name in *:*) entry="IP:$name" ;; *) entry="DNS:$name" ;; esac ;;
    *) entry="IP:$name" ;;
  esac
  san="${san:+$san,}$entry"
done

# issue NAME CN EXTENDED_USAGE [SAN]: a key and a certificate signed by the CA.
issue() {
  extensions=$(mktemp)
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$3"
    echo "subjectKeyIdentifier=hash"
    echo "authorityKeyIdentifier=keyid"
    [ -z "${4:-}" ] || echo "subjectAltName=$4"
  } >"$extensions"
  openssl req -new -nodes -newkey rsa:2048 -keyout "$1-key.pem" -out "$1.csr" -subj "/O=plantlink/CN=$2" 2>/dev/null
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 397 -sha256 \
    -extfile "$extensions" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$extensions"
  chmod 0644 "$1.pem"
  openssl verify -CAfile ca.pem "$1.pem" >/dev/null
}

set -- $names
issue central "$1" serverAuth "$san"
echo "central: $out/central.pem for $san"

for edge in $edges; do
  issue "edge-$edge" "$edge" clientAuth
  echo "edge $edge: $out/edge-$edge.pem (client certificate, CN=$edge)"
done
