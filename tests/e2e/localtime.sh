#!/bin/bash
# Times for people are local, with the zone; JSON keeps UTC. Kyrgyzstan is
# UTC+6 (Asia/Bishkek): what `ayil admit`, `ayil nodes` and its HTML page
# print is the local time with "+06", the same moment as the Unix seconds
# (UTC) their --json gives, and --json has no local time in it. Other
# zones: an offset with minutes (+05:30, -03:30) and UTC (+00).
source "$(dirname "$0")/lib/common.bash"
export AYIL_PASSPHRASE=test-passphrase-1
HUB=$T/hub
[ "$(TZ=Asia/Bishkek date -d @0 +%z)" = +0600 ] || {
  echo "SKIP: no zone data for Asia/Bishkek (apt-get install tzdata)"
  echo "0 passed, 0 failed"
  exit 0
}
$AYIL --home "$HUB" init --role hub --name "Test Hub" --listen 127.0.0.1:17410 \
  >/dev/null 2>&1
check "hub created" test -f "$HUB/ayil.conf"

# admit: --json gives the expiry in Unix seconds; the text says it locally.
TZ=Asia/Bishkek $AYIL --home "$HUB" admit --name "Alpha Committee" --oblast talas \
  --json >"$T/a.json" 2>/dev/null
EXP=$(json_get '["expires"]' <"$T/a.json")
check "admit --json: expires is Unix seconds ($EXP)" bash -c "[[ '$EXP' =~ ^[0-9]{10}$ ]]"
check "admit --json: no local time in it" bash -c "! grep -q '+06' '$T/a.json'"
LOCAL=$(TZ=Asia/Bishkek date -d "@$EXP" '+%Y-%m-%d %H:%M')
UTC=$(TZ=UTC date -d "@$EXP" '+%Y-%m-%d %H:%M')
TZ=Asia/Bishkek $AYIL --home "$HUB" admit --name "Beta Committee" --oblast osh \
  >/dev/null 2>"$T/admit.err"
check "admit says when the invite expires, local, with +06" \
  grep -qE 'expires [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} \+06\. Keep' "$T/admit.err"
check "... and no UTC" bash -c "! grep -q UTC '$T/admit.err'"

# nodes: the same moment as the JSON's, in Bishkek's time.
TZ=Asia/Bishkek $AYIL --home "$HUB" nodes >"$T/nodes.txt"
check "nodes: Alpha's invite expires $LOCAL +06 (= $UTC UTC)" \
  grep -qF "expires $LOCAL +06)" "$T/nodes.txt"
TZ=Asia/Bishkek $AYIL --home "$HUB" nodes --json >"$T/nodes.json"
alpha_expires() { python3 -c 'import json,sys; print([c for c in json.load(sys.stdin)["committees"] if c["name"] == "Alpha Committee"][0]["nodes"][0]["expires"])'; }
check "nodes --json: the same Unix seconds" test "$(alpha_expires <"$T/nodes.json")" = "$EXP"
check "nodes --json: no local time in it" bash -c "! grep -q '+06' '$T/nodes.json'"
check "nodes --json is the same whatever the zone" \
  test "$(TZ=America/St_Johns "$AYIL" --home "$HUB" nodes --json | alpha_expires)" = "$EXP"
TZ=Asia/Bishkek $AYIL --home "$HUB" nodes --html "$T/nodes.html" >/dev/null 2>&1
check "nodes --html: generated in local time with +06" \
  grep -qE 'Generated [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} \+06\.' "$T/nodes.html"
check "nodes --html: its times carry the zone" grep -qF "$LOCAL +06" "$T/nodes.html"

# Other zones.
check "UTC: $UTC +00" bash -c "TZ=UTC '$AYIL' --home '$HUB' nodes | grep -qF 'expires $UTC +00)'"
check "India: +05:30" bash -c "TZ=Asia/Kolkata '$AYIL' --home '$HUB' nodes | grep -qF \"expires \$(TZ=Asia/Kolkata date -d @$EXP '+%Y-%m-%d %H:%M') +05:30)\""
check "Newfoundland in December: -03:30" bash -c "TZ=America/St_Johns '$AYIL' --home '$HUB' nodes | grep -qE 'expires [0-9-]+ [0-9:]+ -0[23]:30\)'"
check "a POSIX TZ string works too (UTC-6 is +06)" \
  bash -c "TZ=XYZ-6 '$AYIL' --home '$HUB' nodes | grep -qF 'expires $LOCAL +06)'"
finish
