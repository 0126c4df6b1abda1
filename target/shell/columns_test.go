package shell

import "testing"

var columnCases = []lineCase{
	// sort
	{line: `printf 'c\nb\na\n' | sort; printf 'b\na\nc\n' | sort -r`, out: "a\nb\nc\nc\nb\na\n"},
	{line: `printf 'B\na\nC\n' | sort; printf 'b\nA\na\nB\n' | sort -f`, out: "B\nC\na\nA\na\nB\nb\n"},
	{line: `printf '10\n9\n-1\n1.5\nabc\n\n' | sort -n; printf '3\n1\n2\n' | sort -nr`, out: "-1\n\nabc\n1.5\n9\n10\n3\n2\n1\n"},
	{line: `printf 'b 2\na 10\nc 1\n' | sort -k2 -n; printf 'b 2\na 10\nc 1\n' | sort -k2,2nr`, out: "c 1\nb 2\na 10\na 10\nb 2\nc 1\n"},
	{line: `printf 'x:3\ny:1\nx:1\n' | sort -t: -k1,1 -k2n; printf '1,b\n2,a\n' | sort -t, -k2`, out: "x:1\nx:3\ny:1\n2,a\n1,b\n"},
	{line: `printf 'x 3\ny 3\nz 1\n' | sort -k2,2 -s; printf 'x 3\ny 3\nz 1\n' | sort -k2,2 -r`, out: "z 1\nx 3\ny 3\ny 3\nx 3\nz 1\n"},
	{line: `printf '1\n1\n2\n' | sort -u; printf 'x 1\nx 01\n' | sort -k2n; printf 'x 1\nx 01\n' | sort -k2n -u`, out: "1\n2\nx 01\nx 1\nx 1\n"},
	{line: `printf '1K\n2M\n3\n' | sort -h; printf 'v1.10\nv1.2\nv1.9\n' | sort -V; printf '2\n10\n1\n' | sort -g; printf 'Mar\nJan\nFeb\n' | sort -M`, out: "3\n1K\n2M\nv1.2\nv1.9\nv1.10\n1\n2\n10\nJan\nFeb\nMar\n"},
	{line: `printf '  b\n a\nc\n' | sort; printf '  b\n a\nc\n' | sort -b`, out: "  b\n a\nc\n a\n  b\nc\n"},
	{line: `printf '12345678901234567890\n9\n-12345678901234567891\n' | sort -n`, out: "-12345678901234567891\n9\n12345678901234567890\n"},
	{line: `printf 'b\na\n' > f; sort -o f f; cat f; printf 'z\ny\n' | sort -o out; cat out`, out: "a\nb\ny\nz\n"},
	{line: `printf 'a\nb\n' | sort -c; echo $?; printf 'b\na\n' | sort -c; echo $?`, out: "0\n1\n", errs: "sort: -:2: disorder: a\n"},
	{line: `sort nosuch; echo $?; sort -k x; echo $?; sort -t ab; echo $?`, out: "2\n2\n2\n",
		errs: "sort: cannot read: nosuch: No such file or directory\nsort: invalid number at field start: invalid count at start of ‘x’\nsort: multi-character tab ‘ab’\n"},
	// uniq
	{line: `printf 'x\nx\ny\nx\n' | uniq; printf 'x\nx\ny\nx\n' | uniq -c`, out: "x\ny\nx\n      2 x\n      1 y\n      1 x\n"},
	{line: `printf 'a\na\nb\n' | uniq -d; printf 'a\na\nb\n' | uniq -u; printf 'A\na\nb\n' | uniq -i`, out: "a\nb\nA\nb\n"},
	{line: `printf 'a\na\nb\nb\nc\n' | uniq -D; printf '1 a\n2 a\n3 b\n' | uniq -f1; printf 'xa\nya\n' | uniq -s1 -c`, out: "a\na\nb\nb\n1 a\n3 b\n      2 xa\n"},
	{line: `printf 'a\na\n' > in; uniq in out; cat out; uniq nosuch; echo $?`, out: "a\n1\n", errs: "uniq: nosuch: No such file or directory\n"},
	{line: `printf 'a b\na b\nc\n' | sort | uniq -c | sort -rn`, out: "      2 a b\n      1 c\n"},
	// cut
	{line: `printf 'a,b,c\n1,2,3\n' | cut -d, -f2; printf 'a:b:c:d\n' | cut -d: -f1,3-`, out: "b\n2\na:c:d\n"},
	{line: `printf 'a:b:c:d\n' | cut -d: -f2- --output-delimiter=' '; printf 'a\tb\n' | cut -f2`, out: "b c d\nb\n"},
	{line: `printf 'abcdef\n' | cut -c -3; printf 'abcdef\n' | cut -c 2,4-; printf 'abc\n' | cut -b1,3; printf 'abcdef\n' | cut --complement -c2-3`, out: "abc\nbdef\nac\nadef\n"},
	{line: `printf 'nodelim\n' | cut -d: -f2; printf 'nodelim\n' | cut -s -d: -f2; printf 'abc\n' | cut -c 5-`, out: "nodelim\n\n"},
	{line: `printf 'a:1\nb:2\n' > f; cut -d: -f2 f f; cut -d: -f1 nosuch f; echo $?`, out: "1\n2\n1\n2\na\nb\n1\n", errs: "cut: nosuch: No such file or directory\n"},
	{line: `cut -f`, errs: "cut: option requires an argument -- 'f'\nTry 'cut --help' for more information.\n", status: 1},
	{line: `cut -d: -f0 /dev/null`, errs: "cut: fields are numbered from 1\nTry 'cut --help' for more information.\n", status: 1},
	{line: `cut a`, errs: "cut: you must specify a list of bytes, characters, or fields\nTry 'cut --help' for more information.\n", status: 1},
	{line: `cut -d ab -f1`, errs: "cut: the delimiter must be a single character\nTry 'cut --help' for more information.\n", status: 1},
	{line: `cut -f 3-1 /dev/null`, errs: "cut: invalid decreasing range\nTry 'cut --help' for more information.\n", status: 1},
	// tr
	{line: `echo abc | tr a-z A-Z; echo 'Hello World' | tr '[:upper:]' '[:lower:]'; echo hello | tr 'a-z' 'n-za-m'`, out: "ABC\nhello world\nuryyb\n"},
	{line: `echo 'a1b2' | tr -cd '[:digit:]\n'; echo 'a  b   c' | tr -s ' '; echo hello | tr -d l; echo aaabbb | tr -s ab`, out: "12\na b c\nheo\nab\n"},
	{line: `printf 'x\r\n' | tr -d '\r' | xxd -p; printf 'a\nb\n' | tr '\n' ','; echo 'a  b' | tr -s '[:space:]' '\n'`, out: "780a\na,b,a\nb\n"},
	{line: `echo hello | tr 'a-z' 'A'; echo hello | tr -s l L; echo abc | tr cba x; echo hello | tr -c 'l\n' .`, out: "AAAAA\nheLo\nxxx\n..ll.\n"},
	{line: `echo 123 | tr '0-9' '[a*]'; echo abcd | tr 'a-d' '[x*2]yz'; echo abc | tr '\141' Z; echo AbC | tr '[:lower:][:upper:]' '[:upper:][:lower:]'`, out: "aaa\nxxyz\nZbc\naBc\n"},
	{line: `echo x | tr z-a b`, errs: "tr: range-endpoints of 'z-a' are in reverse collating sequence order\n", status: 1},
	{line: `tr`, errs: "tr: missing operand\nTry 'tr --help' for more information.\n", status: 1},
	{line: `tr a`, errs: "tr: missing operand after ‘a’\nTwo strings must be given when translating.\nTry 'tr --help' for more information.\n", status: 1},
	{line: `tr -d a b`, errs: "tr: extra operand ‘b’\nOnly one string may be given when deleting without squeezing repeats.\nTry 'tr --help' for more information.\n", status: 1},
}

func TestColumns(t *testing.T) { checkLines(t, columnCases) }
