# gen-maincf.awk - seeded random main.cf files for the differential test.
#
# Usage: awk -v seed=S -v n=N -v dir=D -f t/gen-maincf.awk
#
# Writes D/I/main.cf for I = 1..N (the directories must exist) and
# prints one line per case on stdout: "I<TAB>args", the postconf
# flags and parameter names to query.  The files mix the
# things postconf's reader and macro expander care about: continuation
# lines, comments, blank lines, odd white space (tab, CR, CRLF, VT,
# FF), every expansion form, undefined and recursive references,
# relational operators, malformed lines and macros, empty values,
# duplicate names, and database tables (ldap:name, proxy:, inline
# {...} with bad braces, TYPE:/path with a generated D/I/db.cf).
# Same seed and same awk, same files.

BEGIN {
	srand(seed)
	TAB = sprintf("%c", 9); CR = sprintf("%c", 13)
	VT = sprintf("%c", 11); FF = sprintf("%c", 12)
	nu = split("aa bb cc dd ee ff", user, " ")
	nb = split("relayhost relay_domains myorigin queue_directory " \
	    "config_directory multi_instance_name multi_instance_enable " \
	    "multi_instance_group syslog_name compatibility_level " \
	    "data_directory mydestination", bi, " ")
	nw = split("x y 1 2 10 9 3.6 yes no foo/bar a.b -q @ , ; : ? " \
	    ") ( # a#b", word, " ")
	nop = split("== != < <= > >= <level <=level >level >=level ==level " \
	    "!=level =! = <>", op, " ")
	nf = split("-n|-xn|-h|-xh|-x||-hx", flag, "|")
	ntb = split("ldap:aa proxy:ldap:bb mysql:cc pgsql:dd sqlite:ee " \
	    "memcache:ff proxy:proxy:ldap:aa {ldap:bb} a:{mysql:cc} {x}y {x " \
	    "{{x}y} proxy:a:{x}y ldap:/nonexist ldap:./aa ldap:DB mysql:DB " \
	    "proxy:pgsql:DB", tbl, " ")
	nsf = split("server_host hosts dbpath ttl bogus tls_CAfile", sfx, " ")
	for (i = 1; i <= n; i++)
		gen(i)
}

# pick - a random integer in 1..k
function pick(k) {
	return int(rand() * k) + 1
}

# name - a parameter name, mostly from the pools
function name(    r) {
	r = pick(20)
	if (r <= 9)
		return user[pick(nu)]
	if (r <= 18)
		return bi[pick(nb)]
	if (r == 19)
		return "zz" pick(3)
	if (pick(2) == 1)
		return user[pick(nu)] "_" sfx[pick(nsf)]
	return "Q_" pick(2)
}

# table - a database table reference; DB is this case's db.cf
function table(    t) {
	t = tbl[pick(ntb)]
	sub(/DB/, db, t)
	return t
}

# dbfile - a database client's settings file, sometimes broken
function dbfile(f,    k, j, r) {
	printf "" > f
	k = pick(5)
	for (j = 0; j < k; j++) {
		r = pick(12)
		if (r == 1) printf "#%s\n", value() > f
		else if (r == 2) printf " cont%s\n", eol() > f
		else if (r == 3 && pick(3) == 1) printf "= bad\n" > f
		else if (r <= 6) printf "%s = %s%s", sfx[pick(nsf)], value(), eol() > f
		else printf "%s%s=%s%s", name(), sp(), value(), eol() > f
	}
	close(f)
}

# sp - optional white space inside a value
function sp(    r) {
	r = pick(12)
	if (r <= 6)
		return ""
	if (r <= 9)
		return " "
	if (r == 10)
		return TAB
	if (r == 11)
		return "  "
	return (pick(2) == 1) ? VT : FF
}

# text - a short piece of text for conditional branches
function text(d,    r) {
	r = pick(6)
	if (r <= 2)
		return word[pick(nw)]
	if (r == 3)
		return ""
	if (r == 4 && d < 3)
		return ref(d + 1)
	return word[pick(nw)] sp() ref(d + 1)
}

# ref - one macro reference, sometimes malformed
function ref(d,    r, nm) {
	nm = name()
	if (d > 3)
		return "$" nm
	r = pick(30)
	if (r <= 6)  return "$" nm
	if (r <= 8)  return "${" nm "}"
	if (r <= 9)  return "$(" nm ")"
	if (r <= 10) return "$$"
	if (r <= 12) return "${" nm "?" text(d) "}"
	if (r <= 14) return "${" nm ":" text(d) "}"
	if (r <= 16) return "${" nm sp() "?" sp() "{" text(d) "}" sp() ":" sp() "{" text(d) "}}"
	if (r <= 17) return "${" nm ":{" text(d) "}}"
	if (r <= 18) return "${" sp() nm sp() "}"
	if (r <= 21) return "${{" text(d) "}" sp() op[pick(nop)] sp() "{" text(d) "}" \
	    ((pick(4) > 1) ? sp() "?" sp() "{" text(d) "}" ((pick(3) > 1) ? sp() ":" sp() "{" text(d) "}" : "") : "") "}"
	if (r <= 22) return "${{" pick(12) "} " op[pick(6)] " {" pick(12) "} ? " text(d) " : " text(d) "}"
	# Malformed, rarely.
	if (pick(3) > 1)
		return "$" nm
	r = pick(9)
	if (r == 1) return "$"
	if (r == 2) return "${" nm
	if (r == 3) return "${}"
	if (r == 4) return "${" nm " " nm "}"
	if (r == 5) return "$(" nm "-x)"
	if (r == 6) return "${" nm "?{x}junk}"
	if (r == 7) return "${" nm "?{x}:{y}z}"
	if (r == 8) return "${" nm ":{x}:{y}}"
	return "${{1} == {2} junk}"
}

# value - a whole value
function value(    k, v, i) {
	k = pick(5) - 1
	v = ""
	for (i = 0; i < k; i++)
		v = v ((i > 0 || pick(3) == 1) ? sp() : "") \
		    ((pick(12) == 1) ? table() : \
		    (pick(2) == 1) ? word[pick(nw)] : ref(0))
	if (pick(8) == 1)
		v = v sp()
	return v
}

# eol - a line ending
function eol(    r) {
	r = pick(15)
	if (r == 1)
		return CR "\n"
	if (r == 2)
		return " \n"
	if (r == 3)
		return TAB "\n"
	return "\n"
}

# gen - one main.cf file and one query
function gen(i,    f, nl, l, r, v, k, cuts, names, fl, j) {
	db = dir "/" i "/db.cf"
	if (pick(3) == 1)
		dbfile(db)
	f = dir "/" i "/main.cf"
	printf "" > f
	nl = pick(8) + (pick(6) == 1 ? 40 : 0)
	if (pick(25) == 1)
		printf " %s = orphan %s%s", name(), value(), eol() > f
	for (l = 0; l < nl; l++) {
		r = pick(40)
		if (r == 1) { printf "#%s%s", value(), eol() > f; continue }
		if (r == 2) { printf "%s# indented comment\n", sp() " " > f; continue }
		if (r == 3) { printf "\n" > f; continue }
		if (r == 4) { printf "  %s\n", TAB > f; continue }
		if (r == 5 && pick(4) == 1) { printf "%s%s", name(), eol() > f; continue }
		if (r == 6 && pick(4) == 1) { printf "= %s\n", value() > f; continue }
		if (r == 7 && pick(4) == 1) { printf "%s %s = 1\n", name(), name() > f; continue }
		v = value()
		printf "%s%s=%s%s", name(), sp(), sp(), v > f
		# Continuation lines, maybe with comments or blanks between.
		k = (pick(5) == 1) ? pick(3) : 0
		for (j = 0; j < k; j++) {
			printf "%s", eol() > f
			if (pick(4) == 1)
				printf "# inside\n" > f
			if (pick(6) == 1)
				printf "\n" > f
			printf "%s%s", (pick(2) == 1) ? " " : TAB, value() > f
		}
		if (l == nl - 1 && pick(10) == 1)
			continue        # no newline at the end of the file
		printf "%s", eol() > f
	}
	close(f)
	fl = flag[pick(nf)]
	names = ""
	if (fl != "-n" && fl != "-xn") {
		k = pick(4)
		for (j = 0; j < k; j++)
			names = names (j ? " " : "") ((pick(10) == 1) ? "nosuch" : name())
	}
	printf "%d\t%s\n", i, fl (fl != "" && names != "" ? " " : "") names
}
