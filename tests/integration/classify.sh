#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# vigilctl classify end to end: golden output, bad input, broken rules,
# and the targets on ../shared/data/domain_dev.jsonl.
set -eu
: "${VIGILCTL:?}" "${VIGIL_SRC:?}"
shared=${VIGIL_SHARED:-}
golden=$VIGIL_SRC/tests/golden
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# Golden output, from a file and from stdin.
"$VIGILCTL" classify --rules "$golden/classify.rules" \
	"$golden/classify-input.jsonl" > "$tmp/out.jsonl" || fail "classify FILE: exit $?"
diff -u "$golden/classify-output.jsonl" "$tmp/out.jsonl" || fail "JSONL output drifted"
"$VIGILCTL" classify --rules "$golden/classify.rules" \
	< "$golden/classify-input.jsonl" > "$tmp/stdin.jsonl" || fail "classify stdin: exit $?"
cmp -s "$tmp/out.jsonl" "$tmp/stdin.jsonl" || fail "stdin output differs from FILE output"
"$VIGILCTL" classify --lines --rules "$golden/classify.rules" \
	"$golden/classify-input.txt" > "$tmp/out.txt" || fail "--lines: exit $?"
diff -u "$golden/classify-lines.txt" "$tmp/out.txt" || fail "--lines output drifted"

# --explain marks the spans.
"$VIGILCTL" classify --explain --rules "$golden/classify.rules" \
	"$golden/classify-input.jsonl" > "$tmp/explain.txt" || fail "--explain: exit $?"
grep -q 'going to \[kill you\]' "$tmp/explain.txt" || fail "--explain lacks a marked span"

# Thresholds per deployment.
echo 'kill you' | "$VIGILCTL" classify --lines --rules "$golden/classify.rules" \
	--threshold threat=700 > "$tmp/thr.txt" || fail "--threshold: exit $?"
[ "$(cat "$tmp/thr.txt")" = "" ] || fail "--threshold threat=700 still labels 600"
rc=0
echo x | "$VIGILCTL" classify --lines --threshold threat=0 > /dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "--threshold threat=0: exit $rc, want 2"

# Bad input: each bad line gets an error naming it; the rest go through.
{
	printf '{"id":1,"text":"kill you"}\n'
	printf '{"id":2,"text":\n'
	printf '{"id":3,"text":"bad \377 byte"}\n'
	printf '{"id":4,"body":"no text"}\n'
	printf '{"id":5,"text":"'
	head -c 10485760 /dev/zero | tr '\0' a
	printf '"}\n'
	printf '[1,2]\n'
	printf '{"id":7,"text":"idiot"}\n'
} > "$tmp/bad.jsonl"
rc=0
"$VIGILCTL" classify --rules "$golden/classify.rules" "$tmp/bad.jsonl" \
	> "$tmp/bad.out" 2> "$tmp/bad.err" || rc=$?
[ "$rc" -eq 3 ] || fail "bad input: exit $rc, want 3"
[ "$(wc -l < "$tmp/bad.out")" -eq 2 ] || fail "bad input: good lines not all written"
head -n1 "$tmp/bad.out" | grep -q '"id":1,' || fail "line 1 missing"
tail -n1 "$tmp/bad.out" | grep -q '"id":7,' || fail "line 7 missing"
grep -q 'bad.jsonl:2: invalid JSON' "$tmp/bad.err" || fail "no error for line 2"
grep -q 'bad.jsonl:3: invalid JSON' "$tmp/bad.err" || fail "no error for line 3"
grep -q 'bad.jsonl:4: no "text" string' "$tmp/bad.err" || fail "no error for line 4"
grep -q 'bad.jsonl:5: line longer than' "$tmp/bad.err" || fail "no error for line 5"
grep -q 'bad.jsonl:6: invalid JSON: not an object' "$tmp/bad.err" || fail "no error for line 6"

# --lines keeps one output line per input line, even for bad ones.
printf 'kill you\nbad \377 byte\nidiot\n' > "$tmp/bad.txt"
rc=0
"$VIGILCTL" classify --lines --rules "$golden/classify.rules" "$tmp/bad.txt" \
	> "$tmp/bad-lines.out" 2> "$tmp/bad-lines.err" || rc=$?
[ "$rc" -eq 3 ] || fail "--lines bad input: exit $rc, want 3"
printf 'threat\n\ninsult\n' | cmp -s - "$tmp/bad-lines.out" || fail "--lines bad input: output misaligned"
grep -q 'bad.txt:2: text is not valid UTF-8' "$tmp/bad-lines.err" || fail "--lines: no UTF-8 error"

# A rules file that does not parse is rejected with file and line.
printf 'rule a threat 100: kill\nrule b threat lots: x\n' > "$tmp/broken.rules"
rc=0
echo x | "$VIGILCTL" classify --rules "$tmp/broken.rules" > /dev/null 2> "$tmp/rules.err" || rc=$?
[ "$rc" -eq 4 ] || fail "broken rules: exit $rc, want 4"
grep -q 'broken.rules:2: expected' "$tmp/rules.err" || fail "broken rules: no file:line"

# The model: a rules directory may hold one; a broken one is rejected
# with file and line, and the default one counts where no rule does.
mkdir "$tmp/broken-model"
cp "$VIGIL_SRC"/rules/*.rules "$tmp/broken-model/"
printf 'model 1\ncategories threat\nbias 0\nfrom 0.6\nf 1 x kill\n' > "$tmp/broken-model/x.model"
rc=0
echo '{"text":"x"}' | "$VIGILCTL" classify --rules "$tmp/broken-model" > /dev/null 2> "$tmp/model.err" || rc=$?
[ "$rc" -eq 4 ] || fail "broken model: exit $rc, want 4"
grep -q 'x.model:5: .x. is not a number' "$tmp/model.err" || fail "broken model: no file:line"
echo '{"id":"m","text":"Dr. Ames won\u0027t see Christmas if she keeps this up."}' | "$VIGILCTL" classify > "$tmp/model.out" ||
	fail "model: exit $?"
grep -q '"labels":\["threat"\].*"rule":"model.threat"' "$tmp/model.out" ||
	{ cat "$tmp/model.out"; fail "the default model did not count"; }
printf '{"id":7,"text":"K1LL  y.o.u"}\n' | "$VIGILCTL" classify --normalized > "$tmp/norm.out" ||
	fail "--normalized: exit $?"
[ "$(cat "$tmp/norm.out")" = '{"id":7,"normalized":" kill you "}' ] ||
	{ cat "$tmp/norm.out"; fail "--normalized: unexpected output"; }

# A clinician's names count as the target with --target, and only then;
# a bare surname stays an ordinary word. The rules alone: targets are the
# rules' business (the model weighs "shoot" in "shoot roe" by itself).
mkdir "$tmp/rules-only"
cp "$VIGIL_SRC"/rules/*.rules "$tmp/rules-only/"
printf '%s\n' "kill jane roe" "stab J.a.n.e R0e" "slap Jane Roe" "roe v wade" "shoot roe" \
	> "$tmp/names.txt"
"$VIGILCTL" classify --lines --rules "$tmp/rules-only" --target "Dr. Jane Roe" \
	"$tmp/names.txt" > "$tmp/names.out" || fail "--target: exit $?"
[ "$(cat "$tmp/names.out")" = "$(printf 'threat\nthreat\nthreat\n\n\n')" ] ||
	{ cat "$tmp/names.out"; fail "--target: names not taken as the target"; }
"$VIGILCTL" classify --lines --rules "$tmp/rules-only" "$tmp/names.txt" > "$tmp/nonames.out" ||
	fail "no --target: exit $?"
grep -q threat "$tmp/nonames.out" && { cat "$tmp/nonames.out"; fail "a name is a target without --target"; }
rc=0
"$VIGILCTL" classify --lines --target "..." "$tmp/names.txt" > /dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "--target with no words: exit $rc, not 2"

# Posts written for the tests (tests/data) stay well classified.
"$VIGILCTL" classify --eval "$VIGIL_SRC/tests/data/classify-extra.jsonl" > "$tmp/extra.txt" ||
	fail "--eval extra: exit $?"
awk '$1 ~ /^(threat|sexual|doxxing|hate|insult)$/ && $4 < 0.85 { print "F1 " $1 " " $4; bad = 1 }
	$1 == "rows" { seen = 1; gsub(/[(%)]/, "", $NF); if ($NF + 0 >= 5) { print "benign " $NF "%"; bad = 1 } }
	END { exit bad || !seen }' "$tmp/extra.txt" || { cat "$tmp/extra.txt"; fail "tests/data targets not met"; }

# The default rules meet the targets on the domain set.
if [ -z "$shared" ] || [ ! -r "$shared/data/domain_dev.jsonl" ]; then
	echo "SKIP: ../shared/data/domain_dev.jsonl not found; targets not checked"
	exit 77
fi
"$VIGILCTL" classify --eval "$shared/data/domain_dev.jsonl" > "$tmp/eval.txt" ||
	fail "--eval: exit $?"
cat "$tmp/eval.txt"
awk '
	$1 == "threat" || $1 == "sexual" { if ($4 < 0.9) { print "F1 " $1 " " $4 " < 0.9"; bad = 1 } }
	$1 == "doxxing" || $1 == "hate" || $1 == "insult" { if ($4 < 0.8) { print "F1 " $1 " " $4 " < 0.8"; bad = 1 } }
	$1 == "rows" { seen = 1; gsub(/[(%)]/, "", $NF); if ($NF + 0 >= 5) { print "benign flagged " $NF "%"; bad = 1 } }
	END { if (!seen) { print "no summary"; bad = 1 } exit bad }
' "$tmp/eval.txt" || fail "domain targets not met"
[ "$(grep -c -E '^(threat|sexual|doxxing|hate|insult) ' "$tmp/eval.txt")" -eq 5 ] ||
	fail "--eval did not report all five categories"
echo "ok"
