package shell

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

var sedCases = []lineCase{
	// Substitution.
	{line: `echo hello world | sed 's/o/0/g'; echo hello | sed 's/l/L/2'; echo aaa | sed 's/a/b/2g'`, out: "hell0 w0rld\nhelLo\nabb\n"},
	{line: `echo abc | sed -E 's/(b)/[\1]/'; echo abc | sed 's/\(b\)/[\1]/'; echo hello | sed 's/\(h\)\(e\)/\2\1/'`, out: "a[b]c\na[b]c\nehllo\n"},
	{line: `echo path/to | sed 's|/|_|g'; echo a/b | sed 's/\//|/'; echo x | sed 's/x/&&/'; echo x | sed 's/x/a\tb/'`, out: "path_to\na|b\nxx\na\tb\n"},
	{line: `echo aaa | sed 's/a*/x/g'; echo abc | sed 's/x*/-/g'; echo abc | sed 's/b*/X/g'; echo hello | sed 's/l*/<&>/g'`, out: "x\n-a-b-c-\nXaXcX\n<>h<>e<ll>o<>\n"},
	{line: `echo hello | sed 's/.*/\U&/'; echo 'hello world' | sed 's/\b\(.\)/\u\1/g'; echo ab | sed 's/\(a\)\(b\)/\U\1\E\2/'`, out: "HELLO\nHello World\nAb\n"},
	{line: `echo 'hello world' | sed 's/\w\+/[&]/g'; echo 'a b  c' | sed 's/ \+/,/g'; echo abc | sed 's/\(a\|c\)/X/g'`, out: "[hello] [world]\na,b,c\nXbX\n"},
	{line: `echo A | sed 's/a/b/I'; echo aXb | sed 's/x/-/gi'; echo 'a.b.c' | sed 's/\./-/2g'; echo x | sed 's/x/a\nb/'`, out: "b\na-b\na.b-c\na\nb\n"},
	{line: "echo hi | sed 's/hi/a\\\nb/'", out: "a\nb\n"},
	{line: `echo 'a(b)' | sed 's/(b)/X/'; echo 'a+' | sed 's/a+/X/'; echo 'a{2}' | sed 's/a{2}/X/'; echo ab | sed -E 's/a|b/X/g'`, out: "aX\nX\nX\nXX\n"},
	{line: `echo 'a^b' | sed 's/a^b/X/'; echo 'a$b' | sed 's/a$b/X/'; echo '*a' | sed 's/*a/X/'; echo 'a-' | sed 's/[a-]/X/g'`, out: "X\nX\nX\nXX\n"},
	{line: `echo ac | sed -E 's/a(b)?c/[\1]/'; echo 'k=v' | sed 's/\(.*\)=\(.*\)/\2=\1/'`, out: "[]\nv=k\n"},
	// Addresses and ranges.
	{line: `seq 4 | sed -n '2,3p'; seq 3 | sed '$d'; seq 3 | sed '2!d'; seq 3 | sed -n '$='`, out: "2\n3\n1\n2\n2\n3\n"},
	{line: `printf 'l1\nl2\nl3\nl4\n' | sed -n '/l2/,/l3/p'; seq 3 | sed '/1/,/2/d'; seq 3 | sed -n '2,1p'`, out: "l2\nl3\n3\n2\n"},
	{line: `seq 5 | sed -n '2,+1p'; seq 5 | sed '0~2d'; seq 4 | sed -n '2~2p'; seq 6 | sed -n '2,~4p'`, out: "2\n3\n1\n3\n5\n2\n4\n2\n3\n4\n"},
	{line: `seq 3 | sed -n '0,/2/p'; printf '2\n2\n3\n' | sed -n '0,/2/p'; printf '2\n2\n3\n' | sed -n '1,/2/p'`, out: "1\n2\n2\n2\n2\n"},
	{line: `seq 3 | sed -n '/2/{p;p}'; echo x | sed -e '1{' -e 's/x/y/' -e '}'; printf 'x1\nx2\ny\n' | sed '/x/{s/x/z/;}'`, out: "2\n2\ny\nz1\nz2\ny\n"},
	{line: `echo a | sed -n '/A/I p'; seq 3 | sed -n '/2/='`, out: "a\n2\n"},
	// Other commands.
	{line: `seq 3 | sed 2q; seq 3 | sed -n '2{p;q}'; echo x | sed Q; echo $?; seq 2 | sed 1q5; echo $?`, out: "1\n2\n2\n0\n1\n5\n"},
	{line: `printf 'a\nb\n' | sed '1i head'; printf 'a\nb\n' | sed '$a end'; printf 'a\nb' | sed '$a end'`, out: "head\na\nb\na\nb\nend\na\nb\nend\n"},
	{line: "printf 'a\\nb\\n' | sed 'a\\\nafter'", out: "a\nafter\nb\nafter\n"},
	{line: "printf 'foo\\nbar\\n' | sed '/foo/c\\\nreplaced'; seq 4 | sed '2,3c\\\nX'", out: "replaced\nbar\n1\nX\n4\n"},
	{line: `echo a | sed -e 'a one' -e 'a two'; echo hi | sed -e 'i\' -e 'top'`, out: "a\none\ntwo\ntop\nhi\n"},
	{line: `echo x | sed 'a\  foo'; echo x | sed 'a foo\tbar'; echo x | sed 'c\'; echo x | sed '1a\'`, out: "x\n  foo\nx\nfoo\tbar\nx\n"},
	{line: `echo abc | sed 'y/abc/xyz/'; printf 'a\tb\n' | sed -n l; echo abc | sed -n l`, out: "xyz\na\\tb$\nabc$\n"},
	{line: `seq 4 | sed 'N;s/\n/-/'; seq 3 | sed ':a;N;$!ba;s/\n/,/g'; printf 'a\nb\nc\n' | sed '$!N;P;D'`, out: "1-2\n3-4\n1,2,3\na\nb\nc\n"},
	{line: `echo a | sed G; printf 'a\nb\n' | sed -n 'h;n;G;p'; printf 'a\nb\n' | sed '1!G;h;$!d'`, out: "a\n\nb\na\nb\na\n"},
	{line: `seq 5 | sed -n '2{n;p}'; seq 3 | sed 'n;d'; printf 'a\nb\n' | sed '$!{N}; s/\n/+/'`, out: "3\n1\n3\na+b\n"},
	{line: `printf 'a' | sed p; seq 2 | sed =; echo one | sed 's/o/0/w /dev/stdout'; echo line | sed -n 's/line/L/p'`, out: "a\na1\n1\n2\n2\n0ne\n0ne\nL\n"},
	{line: `echo x | sed 'w out' > /dev/null; cat out`, out: "x\n"},
	// Files and in place.
	{line: `seq 3 > f; sed -i '2d' f; cat f; sed -i.bak 's/1/one/' f; cat f f.bak`, out: "1\n3\none\n3\n1\n3\n"},
	{line: `printf 'hello\nfoo\n' > f; sed -i -e 's/foo/bar/' -e 's/hello/hi/' f; cat f; ls`, out: "hi\nbar\nf\n"},
	{line: `seq 2 > f; seq 3 > g; sed -n '$p' f g; sed -s -n '$p' f g; sed -n 1p nosuch f; echo $?`, out: "3\n2\n3\n1\n2\n", errs: "sed: can't read nosuch: No such file or directory\n"},
	// Script errors.
	{line: `echo x | sed 's/x'`, errs: "sed: -e expression #1, char 3: unterminated `s' command\n", status: 1},
	{line: `echo x | sed k`, errs: "sed: -e expression #1, char 1: unknown command: `k'\n", status: 1},
	{line: `echo x | sed 's/x/y/q'`, errs: "sed: -e expression #1, char 7: unknown option to `s'\n", status: 1},
	{line: `echo x | sed '{p'`, errs: "sed: -e expression #1, char 0: unmatched `{'\n", status: 1},
	{line: `echo x | sed 'p}'`, errs: "sed: -e expression #1, char 2: unexpected `}'\n", status: 1},
	{line: `echo x | sed 'b foo'`, errs: "sed: can't find label for jump to `foo'\n", status: 4},
	{line: `echo x | sed 's/\(x/y/'`, errs: "sed: -e expression #1, char 8: Unmatched ( or \\(\n", status: 1},
	{line: `echo x | sed 's/x/\1/'`, errs: "sed: -e expression #1, char 7: invalid reference \\1 on `s' command's RHS\n", status: 1},
	{line: `echo x | sed '/x/'`, errs: "sed: -e expression #1, char 3: missing command\n", status: 1},
	{line: `echo x | sed 'y/ab/c/'`, errs: "sed: -e expression #1, char 7: strings for `y' command are different lengths\n", status: 1},
}

func TestSed(t *testing.T) { checkLines(t, sedCases) }

// sed -i writes a temporary file beside the file, as GNU's does: it needs
// the directory's write permission, and leaves the file as it was without.
func TestSedInPlaceNeedsTheDirectory(t *testing.T) {
	out, errs, _ := run(t, "sed -i s/a/b/ /etc/hostname; echo $?; sed -i s/a/b/ nosuch; echo $?; cat /etc/hostname")
	assert.Equal(t, "4\n2\nip-10-0-128-108.ap-northeast-1.compute.internal\n", out)
	assert.Regexp(t, "^sed: couldn't open temporary file /etc/sed[A-Za-z0-9]{6}: Permission denied\n"+
		"sed: can't read nosuch: No such file or directory\n$", errs)
}
