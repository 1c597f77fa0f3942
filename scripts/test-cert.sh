#!/usr/bin/env bash
# Makes a throwaway CA and a certificate it signs, valid one day, for the TLS tests and
# the load tests: DIR/ca.pem (the CA a client trusts), DIR/cert.pem and DIR/key.pem (the
# server's). The certificate names roundtable.test (a name the browser checks resolve to
# 127.0.0.1 themselves) and the address 127.0.0.1 (what the load generator dials).
# Usage: scripts/test-cert.sh DIR
set -euo pipefail
dir="${1:?usage: test-cert.sh DIR}"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=test-ca \
  -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=roundtable.test \
  -keyout "$dir/key.pem" -out "$dir/req.csr" 2>/dev/null
printf 'subjectAltName=DNS:roundtable.test,IP:127.0.0.1\n' >"$dir/san.ext"
openssl x509 -req -in "$dir/req.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
  -days 1 -extfile "$dir/san.ext" -out "$dir/cert.pem" 2>/dev/null
