package shell

import "testing"

var sumCases = []lineCase{
	{line: `echo -n hi | sha256sum; echo hi | md5sum`, out: "8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4  -\n764efa883dda1e11db47671c4a3bbd9e  -\n"},
	{line: `echo hi > f1; sha1sum f1; sha256sum --tag f1; md5sum f1 - < f1; sha512sum f1 | cut -c1-20`,
		out: "55ca6286e3e4f4fba5d0448333fa99fc5a404a73  f1\nSHA256 (f1) = 98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4\n764efa883dda1e11db47671c4a3bbd9e  f1\n764efa883dda1e11db47671c4a3bbd9e  -\nd78abb0542736865f947\n"},
	{line: `echo hi > f1; sha256sum f1 > sums; sha256sum -c sums; echo bye > f1; sha256sum -c sums; echo $?`, out: "f1: OK\nf1: FAILED\n1\n",
		errs: "sha256sum: WARNING: 1 computed checksum did NOT match\n"},
	{line: `printf '98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4  gone\n' | sha256sum -c; echo $?`, out: "gone: FAILED open or read\n1\n",
		errs: "sha256sum: gone: No such file or directory\nsha256sum: WARNING: 1 listed file could not be read\n"},
	{line: `sha256sum nosuch; echo $?; mkdir d; md5sum d`, out: "1\n", errs: "sha256sum: nosuch: No such file or directory\nmd5sum: d: Is a directory\n", status: 1},
	// base64
	{line: `echo hi | base64; echo aGkK | base64 -d; echo -n x | base64 -w0; echo; printf '' | base64`, out: "aGkK\nhi\neA==\n"},
	{line: `head -c 100 /dev/zero | base64`, out: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n"},
	{line: `head -c 30 /dev/zero | base64 -w 20`, out: "AAAAAAAAAAAAAAAAAAAA\nAAAAAAAAAAAAAAAAAAAA\n"},
	{line: `printf 'aGVs\nbG8K\n' | base64 -d; printf 'aGVs bG8K' | base64 -di; seq 1000 | base64 | base64 -d | tail -1`, out: "hello\nhello\n1000\n"},
	{line: `echo '!!!' | base64 -d; echo $?; echo aGk | base64 -d; echo $?`, out: "1\nhi1\n", errs: "base64: invalid input\nbase64: invalid input\n"},
	{line: `base64 a b`, errs: "base64: extra operand ‘b’\nTry 'base64 --help' for more information.\n", status: 1},
	{line: `base64 nosuch`, errs: "base64: nosuch: No such file or directory\n", status: 1},
	// xxd
	{line: `echo hello | xxd`, out: "00000000: 6865 6c6c 6f0a                           hello.\n"},
	{line: `head -c 40 /dev/zero | xxd`, out: "00000000: 0000 0000 0000 0000 0000 0000 0000 0000  ................\n" +
		"00000010: 0000 0000 0000 0000 0000 0000 0000 0000  ................\n00000020: 0000 0000 0000 0000                      ........\n"},
	{line: `printf '\x00\x7f\x80 ~' | xxd; echo hi | xxd -g1 -u; echo hi | xxd -g 4`, out: "00000000: 007f 8020 7e                             ... ~\n" +
		"00000000: 68 69 0A                                         hi.\n00000000: 68690a                               hi.\n"},
	{line: `printf 'hello world' | xxd -b; printf 'abc' | xxd -c 2`, out: "00000000: 01101000 01100101 01101100 01101100 01101111 00100000  hello \n" +
		"00000006: 01110111 01101111 01110010 01101100 01100100           world\n00000000: 6162  ab\n00000002: 63    c\n"},
	{line: `echo hello | xxd -p; head -c 31 /dev/zero | xxd -p; printf '' | xxd -p | wc -c`, out: "68656c6c6f0a\n" + "000000000000000000000000000000000000000000000000000000000000\n00\n0\n"},
	{line: `echo hello | xxd -p | xxd -r -p; echo hello | xxd | xxd -r; echo 4142 | xxd -r -p; echo`, out: "hello\nhello\nAB\n"},
	{line: `seq 1 20 | xxd -s 5 -l 10; head -c 32 /dev/zero | xxd -c 32 -g 8`, out: "00000005: 0a34 0a35 0a36 0a37 0a38                 .4.5.6.7.8\n" +
		"00000000: 0000000000000000 0000000000000000 0000000000000000 0000000000000000  ................................\n"},
	{line: `xxd nosuch; echo $?`, out: "2\n", errs: "xxd: nosuch: No such file or directory\n"},
}

func TestSums(t *testing.T) { checkLines(t, sumCases) }
