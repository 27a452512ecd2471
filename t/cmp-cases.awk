# cmp-cases.awk - compare postconf's and pfm-parsecf's results for the
# differential test, all cases in one process (no fork per case).
#
# Usage: awk -v dir=D -f t/cmp-cases.awk CASES
#
# CASES has "I<TAB>args" lines; D/I holds r1 o1 e1 (postconf) and
# r2 o2 e2 (pfm-parsecf).  Prints "bad I" for each case that differs,
# then "crashed N" and "reordered N".
#
# Exit status and stdout must be equal, byte for byte.  postconf walks
# main.cf in hash order, randomised per run: the order of its warnings
# varies, and so do the warnings printed before an error in that walk
# stops it (a macro error, or a broken TYPE:/path settings file), and
# which such error comes first.  So warnings are compared as a
# multiset; when both stop in the walk, only that they do, and the
# runs where the first error differs are counted.

BEGIN { FS = "\t" }

# slurp - a whole file as one string ("" if missing); \001 never occurs
function slurp(f,    rs, s, t) {
	rs = RS; RS = "\001"; s = ""
	while ((getline t < f) > 0)
		s = s t
	close(f); RS = rs
	return s
}

# walkfatal - the last message is an error from postconf's walk
function walkfatal(m) {
	return m == "fatal: macro processing error" ||
	    (m ~ /^fatal: / && index(m, "/db.cf, line ") > 0)
}

{
	d = dir "/" $1 "/"
	r1 = slurp(d "r1") + 0
	# postconf itself crashes on some deep recursions: nothing to match.
	if (r1 >= 128) { crashed++; next }
	if (r1 != slurp(d "r2") + 0 || slurp(d "o1") != slurp(d "o2")) {
		print "bad " $1
		next
	}
	n1 = split(slurp(d "e1"), a, "\n")
	n2 = split(slurp(d "e2"), b, "\n")
	if (n1 > 0 && a[n1] == "") n1--
	if (n2 > 0 && b[n2] == "") n2--
	for (i = 1; i <= n1; i++) sub(/^[^ ]*postconf: /, "", a[i])
	for (i = 1; i <= n2; i++) sub(/^pfm-parsecf: /, "", b[i])
	if (n1 > 0 && n2 > 0 && walkfatal(a[n1]) && walkfatal(b[n2])) {
		if (a[n1] != b[n2]) reordered++
		next
	}
	if (n1 != n2) { print "bad " $1; next }
	split("", cnt)
	for (i = 1; i <= n1; i++) cnt[a[i]]++
	for (i = 1; i <= n2; i++) cnt[b[i]]--
	for (k in cnt)
		if (cnt[k] != 0) { print "bad " $1; next }
}

END {
	print "crashed " (crashed + 0)
	print "reordered " (reordered + 0)
}
