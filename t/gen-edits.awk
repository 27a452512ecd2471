# gen-edits.awk - seeded random (main.cf, edit) cases for pfm-lock.bats
#
# Usage: awk -v seed=S -v n=N -v out=DIR -f t/gen-edits.awk
#
# DIR/A/I and DIR/B/I (I = 1..N) must exist; this writes the same
# main.cf into both (one copy for real postconf, one for pfm-lock) and
# DIR/args/I: the mode (-e, -X or -#) on the first line, then one
# argument per line, where the token @NL@ stands for a newline.
#
# The cases stay outside the places where Postfix 3.7.11 and 3.12
# differ (pfm follows 3.12; those have their own tests): no -e that
# appends two or more new names (3.7 appends them in random order), no
# unterminated last line when -e may append, no name twice in -X/-#,
# no trailing blank after a -X/-# name.  Names are valid for pfm
# (letters, digits, '_', '-', '.'); pfm's name check has its own tests.
# No NUL bytes (pfm copies them, 3.7 truncates the line).

function pick(s,    a, k) {
    k = split(s, a, "|")
    return a[int(rand() * k) + 1]
}

function chance(p) {
    return rand() < p
}

# blank - zero or more spaces and tabs
function blank(max,    s, k) {
    s = ""
    for (k = int(rand() * (max + 1)); k > 0; k--)
        s = s (chance(0.7) ? " " : "\t")
    return s
}

# value - a setting's value: words, odd bytes, inner spacing
function value(    s, k) {
    s = ""
    for (k = int(rand() * 4); k > 0; k--) {
        s = s pick("x|1|$a|${b}|a.b|/etc/p|#h|=|,|inet:1:2|a=b|\\\\|" \
            "\"q\"|'s'|" sprintf("%c", 200) "|" sprintf("%c", 13) \
            "|yes|no")
        if (k > 1)
            s = s pick(" | |  |\t|, |,")
    }
    return s
}

# name - a name from a small pool, so files and edits collide often
function name() {
    return pick("a|b|c|ab|relayhost|my_dest|x1|A|smtp-x|n.d|" \
        "inet_interfaces|mydestination")
}

# token - the name postconf's editor sees at the start of a line
function token(line,    k, c) {
    for (k = 1; k <= length(line); k++) {
        c = substr(line, k, 1)
        if (c == " " || c == "\t" || c == "\r" || c == "=")
            break
    }
    return substr(line, 1, k - 1)
}

# start_line - a line that starts a logical line (maybe malformed)
function start_line(    nm, r) {
    nm = name()
    r = rand()
    if (r < 0.55)
        return nm blank(2) "=" blank(2) value() \
            (chance(0.1) ? blank(2) : "") (chance(0.05) ? "\r" : "")
    if (r < 0.65)
        return nm " = "
    if (r < 0.72)
        return nm                      # missing '='
    if (r < 0.77)
        return nm " " name() " = 1"    # name with a blank in it
    if (r < 0.81)
        return "= " value()            # missing name
    if (r < 0.86)
        return nm sprintf("%c", chance(0.5) ? 11 : 12) "= 1"
    return nm "=" value()
}

# other_line - continuation, comment or blank line
function other_line(    r) {
    r = rand()
    if (r < 0.45)
        return pick(" |\t|  |\t ") value() pick("x|y z|, w")
    if (r < 0.6)
        return pick("#|# |#" name() " = 1|  # c|\t#" name())
    if (r < 0.75)
        return pick("| |\t|  \t")
    if (r < 0.8)
        return sprintf("%c", pick("11|12|13") + 0) "odd"
    return "#" name() " = " value()
}

# file - a whole main.cf; fills seen[] with the start tokens
function file(allow_unterminated,    s, k, nl, line) {
    s = ""
    nl = int(rand() * 14)
    if (chance(0.1))
        s = s pick(" orphan| # c|\tx") "\n"
    for (k = 0; k < nl; k++) {
        line = chance(0.55) ? start_line() : other_line()
        if (line ~ /^[^ \t\v\f\r#]/)
            seen[token(line)] = 1
        s = s line "\n"
    }
    if (allow_unterminated && chance(0.3) && s != "")
        s = s start_line()
    return s
}

# bad_e - an -e operand that postconf rejects
function bad_e() {
    return pick("a|=x| =x||  |# a=1| #x|a b=1|x=1@NL@y|@NL@|a=1@NL@|" \
        "  a  |a b = 1")
}

# bad_x - an -X/-# operand that postconf rejects (not in first place)
function bad_x() {
    return pick("| |#a|a=1|x=|a@NL@b| #")
}

BEGIN {
    srand(seed)
    for (i = 1; i <= n; i++) {
        split("", seen)
        mode = pick("-e|-e|-e|-X|-#")
        content = file(mode != "-e")
        printf "%s", content > (out "/A/" i "/main.cf")
        printf "%s", content > (out "/B/" i "/main.cf")
        close(out "/A/" i "/main.cf")
        close(out "/B/" i "/main.cf")
        f = out "/args/" i
        print mode > f
        na = 1 + int(rand() * 3)
        if (mode == "-e") {
            appended = 0
            for (k = 0; k < na; k++) {
                if (chance(0.04)) {
                    print bad_e() > f
                    continue
                }
                nm = name()
                # At most one new name: 3.7 orders several at random.
                if (!(nm in seen) && !(nm in asked)) {
                    if (appended)
                        continue
                    appended = 1
                }
                asked[nm] = 1
                print blank(1) nm pick(" = |=|\t=| =|= ") value() blank(1) > f
            }
            split("", asked)
        } else {
            if (chance(0.03))
                print pick("a=1|=|#x=1") > f
            for (k = 0; k < na; k++) {
                if (chance(0.05)) {
                    print bad_x() > f
                    continue
                }
                nm = name()
                if (nm in asked)
                    continue
                asked[nm] = 1
                print (chance(0.2) ? blank(1) : "") nm > f
            }
            split("", asked)
        }
        close(f)
    }
}
