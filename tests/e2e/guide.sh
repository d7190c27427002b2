#!/bin/bash
# deploy/README.md, the provisioning guide, against the real tools: every
# `ayil` command it tells a sysadmin to type names a command and options
# that `ayil -h` lists; its contents link to headings that exist; and it
# says where the package comes from, how the recovery kit reaches the user
# ayil and leaves the SD card, what to do without sudo, and the local time.
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
G=$SRC/deploy/README.md
"$AYIL" -h >"$T/help"

# Every command line: after `sudo -u ayil ayil`, `runuser -u ayil -- ayil`,
# or a bare `$ ayil` / `# ayil`.
grep -E '^\s*[$#] ' "$G" |
  sed -nE 's/.*(sudo -u ayil |runuser -u ayil -- |[$#] )ayil ([a-z].*)$/\2/p' |
  sed -E 's/ +#.*//' >"$T/cmds"
check "the guide has ayil commands ($(wc -l <"$T/cmds"))" test "$(wc -l <"$T/cmds")" -ge 25
bad=0
while read -r sub rest; do
  if ! grep -qE "^ +(ayil )?ayil $sub( |$)" "$T/help"; then
    fail "the guide's 'ayil $sub' is not a command of ayil -h"
    bad=1
    continue
  fi
  for opt in $(grep -oE -- '--[a-z][a-z-]*' <<<"$rest" | sort -u); do
    if ! grep -q -- "$opt" "$T/help"; then
      fail "the guide's 'ayil $sub ... $opt' is not an option of ayil -h"
      bad=1
    fi
  done
done <"$T/cmds"
check "every ayil command and option in the guide is in ayil -h" test $bad = 0

# Contents: each #anchor is a heading (GitHub's slugs).
grep -oE '\]\(#[^)]+\)' "$G" | sed -E 's/^\]\(#//; s/\)$//' | sort -u >"$T/links"
grep -E '^##+ ' "$G" | sed -E 's/^#+ //' | tr 'A-Z' 'a-z' |
  sed -E "s/[^a-z0-9 _-]//g; s/ /-/g" | sort -u >"$T/slugs"
missing=$(comm -23 "$T/links" "$T/slugs" | tr '\n' ' ')
check "every contents link names a heading${missing:+ (missing: $missing)}" test -z "$missing"

has() { grep -qF -- "$1" "$G"; }
check "where the package comes from: build-deb.sh and CPack" \
  bash -c "grep -qF 'deploy/build-deb.sh arm64' '$G' && grep -qF 'CPack' '$G'"
check "the package's checksum is checked before install" has 'sha256sum ayil_0.1.0-1_arm64.deb'
check "the build script the guide names exists" test -x "$SRC/deploy/build-deb.sh"
check "the kit reaches ayil on a FAT stick" has 'mount -o uid=ayil,gid=ayil,umask=077'
check "the kit reaches ayil from an ext4 stick through RAM" \
  has 'install -o ayil -g ayil -m 0400 /mnt/kara-suu-recovery-kit.txt /dev/shm/kit.txt'
check "the kit is removed from RAM afterwards" has 'sudo rm /dev/shm/kit.txt'
check "a kit on the card: shred, fstrim, and the caveat" \
  bash -c "grep -qF 'shred -u' '$G' && grep -qF 'fstrim' '$G' && grep -qi 'neither is a guarantee' '$G'"
check "a kit on the card: rekey to a new kit" has 'ayil rekey --new-kit'
check "without sudo: su - and runuser" \
  bash -c "grep -qF '\$ su -' '$G' && grep -qF '# runuser -u ayil -- ayil status' '$G'"
check "runuser exists where the guide sends root" test -x /usr/sbin/runuser
check "the time zone: Asia/Bishkek, UTC+6" \
  bash -c "grep -qF 'set-timezone Asia/Bishkek' '$G' && grep -qF 'UTC+6' '$G'"
check "the zone name the guide gives is known here" \
  bash -c "[ \"\$(TZ=Asia/Bishkek date -d @0 +%z)\" = +0600 ]"
finish
