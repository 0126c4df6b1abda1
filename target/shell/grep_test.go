package shell

import "testing"

var grepCases = []lineCase{
	{line: `printf 'one\ntwo\nthree\n' | grep t`, out: "two\nthree\n"},
	{line: `printf 'one\ntwo\n' | grep -n o`, out: "1:one\n2:two\n"},
	{line: `printf 'one\ntwo\nthree\n' | grep -c o; printf 'a\nb\n' | grep -vc a`, out: "2\n1\n"},
	{line: `printf 'One\ntwo\n' | grep -i one; printf 'One\ntwo\n' | grep -v -i one`, out: "One\ntwo\n"},
	{line: `echo 'abc def' | grep -o '[a-z]*'; echo 'AbC' | grep -io b`, out: "abc\ndef\nb\n"},
	{line: `echo hello | grep -q l; echo $?; echo hello | grep -q z; echo $?`, out: "0\n1\n"},
	{line: `echo hello | grep nothing; echo $?`, out: "1\n"},
	{line: `printf 'a\n\nb\n' | grep -c ''; printf 'a\n\nb\n' | grep -n '^$'`, out: "3\n2:\n"},
	{line: `echo x | grep -e x -e y; echo foo | grep -F 'o.'; echo $?; echo a.b | grep -F .`, out: "x\n1\na.b\n"},
	// Basic and extended expressions, with GNU's extensions.
	{line: `echo 'a.b' | grep 'a\.b'; echo 'a+b' | grep 'a+b'; echo aab | grep -E 'a+b'; echo aab | grep 'a\+b'`, out: "a.b\na+b\naab\naab\n"},
	{line: `echo 'ab|cd' | grep 'b|c'; echo cd | grep 'ab\|cd'; echo 'x{2}' | grep 'x{2}'; echo xx | grep 'x\{2\}'`, out: "ab|cd\ncd\nx{2}\nxx\n"},
	{line: `echo '*star' | grep '*star'; echo 'a]b' | grep '[]]'; echo 'a\b' | grep '[\]'; echo ABC | grep '[[:upper:]]\{3\}'`, out: "*star\na]b\na\\b\nABC\n"},
	{line: `echo tt | grep -E 't{2,}'; echo abc | grep -E 'a|z'; echo '(x)' | grep -F '(x)'; echo '^ab' | grep '^^a'`, out: "tt\nabc\n(x)\n^ab\n"},
	{line: `echo 'tab	here' | grep -P '\t'; echo 'a1' | grep -P '\d'`, out: "tab\there\na1\n"},
	// Words and whole lines.
	{line: `echo 'foo bar' | grep -w foo; echo foobar | grep -w foo; echo $?; echo 'foo_bar foo' | grep -ow foo`, out: "foo bar\n1\nfoo\n"},
	{line: `echo 'a-b' | grep -w a; echo x_y | grep -w x; echo $?; echo 'foo foobar' | grep -ow 'foo\w*'`, out: "a-b\n1\nfoo\nfoobar\n"},
	{line: `echo ab | grep -x a; echo $?; echo ab | grep -x -e a -e ab`, out: "1\nab\n"},
	// Context.
	{line: `seq 7 | grep -A1 -B1 4`, out: "3\n4\n5\n"},
	{line: `seq 7 | grep -C1 -e 2 -e 6`, out: "1\n2\n3\n--\n5\n6\n7\n"},
	{line: `seq 7 | grep -m1 -A2 2; seq 7 | grep -nA1 7; seq 3 | grep -c -A5 x`, out: "2\n3\n4\n7:7\n0\n", status: 1},
	{line: `printf 'x\nmatch\ny\nz\nmatch\n' | grep -n -A1 match`, out: "2:match\n3-y\n--\n5:match\n"},
	{line: `seq 8 | grep -m2 '[2-8]'`, out: "2\n3\n"},
	{line: `printf 'x\ny\n' > f1; printf 'a\nx\n' > f2; grep -A1 x f1 f2; grep -B1 x f1 f2`, out: "f1:x\nf1-y\n--\nf2:x\nf1:x\n--\nf2-a\nf2:x\n"},
	// Files.
	{line: `printf 'one\ntwo\n' > a; printf 'two\n' > b; grep two a b; grep -c two a b; grep -h two a b; grep -H one a`, out: "a:two\nb:two\na:1\nb:1\ntwo\ntwo\na:one\n"},
	{line: `printf 'one\ntwo\n' > a; printf 'two\n' > b; grep -l one a b; grep -L one a b; grep -n two a b`, out: "a\nb\na:2:two\nb:1:two\n"},
	{line: `mkdir -p d/e; echo hit > d/x; echo hit > d/e/y; echo no > d/z; grep -r hit d | sort; grep -rl hit | sort; grep -rc hit d/e`, out: "d/e/y:hit\nd/x:hit\nd/e/y\nd/x\nd/e/y:1\n"},
	{line: `mkdir d; echo hit > d/a.txt; echo hit > d/b.log; grep -r --include='*.txt' hit .; grep -r --exclude='*.txt' hit d`, out: "./d/a.txt:hit\nd/b.log:hit\n"},
	{line: `echo two > a; grep two nosuch a; echo $?; grep -s two nosuch; echo $?; grep -q two nosuch a; echo $?`, out: "a:two\n2\n2\n0\n", errs: "grep: nosuch: No such file or directory\ngrep: nosuch: No such file or directory\n"},
	{line: `echo x > f; grep x f >> f; echo $?; grep -c x f >> f; cat f`, out: "2\nx\n1\n", errs: "grep: f: input file is also the output\n"},
	{line: `mkdir d; grep x d; echo $?`, out: "2\n", errs: "grep: d: Is a directory\n"},
	{line: `echo abc | grep --color=auto b; echo abc | grep --colour=never b`, out: "abc\nabc\n"},
	// Binary input.
	{line: `printf 'x\0y\nabc\n' > bin; grep abc bin; echo $?; grep -c abc bin; grep -a abc bin; cat bin | grep y`, out: "0\n1\nabc\n",
		errs: "grep: bin: binary file matches\ngrep: (standard input): binary file matches\n"},
	{line: `printf 'caf\xc3\xa9\n' | grep caf; printf 'x\xffy\nok\n' | grep ok; printf 'bad\xff\n' | grep bad`, out: "café\nok\n",
		errs: "grep: (standard input): binary file matches\n"},
	// Usage errors.
	{line: `grep`, errs: "Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n", status: 2},
	{line: `grep --foo x`, errs: "grep: unrecognized option '--foo'\nUsage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n", status: 2},
	{line: `grep -E '(' /dev/null; grep '\(' /dev/null; grep 'a[' /dev/null; grep 'a[b' /dev/null`, errs: "grep: Unmatched ( or \\(\ngrep: Unmatched ( or \\(\ngrep: Invalid regular expression\ngrep: Unmatched [, [^, [:, [., or [=\n", status: 2},
	{line: `grep '[[:foo:]]' /dev/null; grep '[z-a]' /dev/null; grep 'a\{1' /dev/null; grep 'a\{x\}' /dev/null; grep '\)' /dev/null`, errs: "grep: Invalid character class name\ngrep: Invalid range end\ngrep: Unmatched \\{\ngrep: Invalid content of \\{\\}\ngrep: Unmatched ) or \\)\n", status: 2},
	{line: `grep -A x y`, errs: "grep: x: invalid context length argument\n", status: 2},
	{line: `egrep 'a|b' <<< b; fgrep 'a|b' <<< 'a|b'`, out: "b\na|b\n"},
}

func TestGrep(t *testing.T) { checkLines(t, grepCases) }
