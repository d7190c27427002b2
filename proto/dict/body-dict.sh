#!/bin/bash
# Makes proto/dict/body-v1.zdict, the zstd dictionary of sealed bodies
# (PROTOCOL.md "Body compression"), from the invented corpus of
# body_corpus.py: 4,000 bodies, fixed seed, COVER training with fixed
# parameters, so the same zstd (Debian 12: 1.5.4) makes the same bytes.
# The dictionary is part of the protocol: once a release ships it, it never
# changes; a new one gets a new id (and a new file).
# Why 16 KB: on held-out text (tests/bench/bench_body.c) 4 KB leaves a
# 204-byte Russian note in the 256 bucket, 8, 16 and 32 KB put it in the
# 128 one and seal the five sample bodies to the same total; 32 KB gains
# 1-6 bytes a frame and costs 1.6 times the 16 KB one to load per seal.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/body-v1.zdict}
tmp=$(mktemp -d)
trap 'rm -r -- "$tmp"' EXIT
python3 "$here/body_corpus.py" "$tmp/corpus" 4000
zstd -q -f --train-cover=k=64,d=8 --maxdict=16384 --dictID=1 -r "$tmp/corpus" -o "$out"
sha256sum "$out"
