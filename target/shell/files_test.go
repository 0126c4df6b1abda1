package shell

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// setup is a home with a directory, a file written today and one from last
// year.
const setup = `mkdir d; echo hello | tee notes > /dev/null; touch -d '2025-01-02 03:04' old; `

var fileCases = []lineCase{
	// ls
	{line: setup + `ls; ls -1 d; ls -r; ls -t`, out: "d\nnotes\nold\nold\nnotes\nd\nd\nnotes\nold\n"},
	{line: setup + `ls -l`, out: "total 8\n" +
		"drwxrwxr-x 2 ec2-user ec2-user 4096 Nov 30 13:19 d\n" +
		"-rw-rw-r-- 1 ec2-user ec2-user    6 Nov 30 13:19 notes\n" +
		"-rw-rw-r-- 1 ec2-user ec2-user    0 Jan  2  2025 old\n"},
	{line: setup + `touch .hidden; ls -la`, out: "total 16\n" +
		"drwx------ 3 ec2-user ec2-user 4096 Nov 30 13:19 .\n" +
		"drwxr-xr-x 3 root     root     4096 Nov 30 13:19 ..\n" +
		"-rw-rw-r-- 1 ec2-user ec2-user    0 Nov 30 13:19 .hidden\n" +
		"drwxrwxr-x 2 ec2-user ec2-user 4096 Nov 30 13:19 d\n" +
		"-rw-rw-r-- 1 ec2-user ec2-user    6 Nov 30 13:19 notes\n" +
		"-rw-rw-r-- 1 ec2-user ec2-user    0 Jan  2  2025 old\n"},
	{line: setup + `touch .hidden; ls -A; ls -a d`, out: ".hidden\nd\nnotes\nold\n.\n..\n"},
	{line: setup + `ls -lh notes d; ls -ln notes; ls -S; ls -F; ls -p d/..`, out: "-rw-rw-r-- 1 ec2-user ec2-user 6 Nov 30 13:19 notes\n\nd:\ntotal 0\n" +
		"-rw-rw-r-- 1 1000 1000 6 Nov 30 13:19 notes\nd\nnotes\nold\nd/\nnotes\nold\nd/\nnotes\nold\n"},
	{line: `head -c 5000 /dev/zero | tee b > /dev/null; head -c 2000000 /dev/zero | tee c > /dev/null; ls -lh; ls -s`,
		out: "total 2.0M\n-rw-rw-r-- 1 ec2-user ec2-user 4.9K Nov 30 13:19 b\n-rw-rw-r-- 1 ec2-user ec2-user 2.0M Nov 30 13:19 c\ntotal 1964\n   8 b\n1956 c\n"},
	{line: setup + `touch d/x; ls -d d; ls d notes; ls -R`, out: "d\nnotes\n\nd:\nx\n.:\nd\nnotes\nold\n\n./d:\nx\n"},
	{line: `ls -ld /tmp; ls -l /dev/null; ls /etc/hostname`, out: "drwxrwxrwt 2 root root 4096 Nov 30 13:19 /tmp\ncrw-rw-rw- 1 root root 1, 3 Nov 30 13:19 /dev/null\n/etc/hostname\n"},
	{line: `touch a bb ccc dddd eeeee ffffff; mkdir sub; ls -CF`, out: "a  bb  ccc  dddd  eeeee  ffffff  sub/\n"},
	{line: `for i in $(seq 1 30); do touch file$i; done; touch averyveryverylongfilename_number_one anotherlongname.txt; ls -C`,
		out: "anotherlongname.txt\t\t      file13  file19  file24  file3   file8\n" +
			"averyveryverylongfilename_number_one  file14  file2   file25  file30  file9\n" +
			"file1\t\t\t\t      file15  file20  file26  file4\nfile10\t\t\t\t      file16  file21  file27  file5\n" +
			"file11\t\t\t\t      file17  file22  file28  file6\nfile12\t\t\t\t      file18  file23  file29  file7\n"},
	{line: `ls nosuch; echo $?; touch a; ls a nosuch; echo $?`, out: "2\na\n2\n",
		errs: "ls: cannot access 'nosuch': No such file or directory\nls: cannot access 'nosuch': No such file or directory\n"},
	{line: `ls /root`, errs: "ls: cannot open directory '/root': Permission denied\n", status: 2},
	{line: `touch f; ls f/`, errs: "ls: cannot access 'f/': Not a directory\n", status: 2},
	{line: `ls -y`, errs: "ls: invalid option -- 'y'\nTry 'ls --help' for more information.\n", status: 2},
	// touch
	{line: `touch a; touch -c b; ls; touch -d @0 a; ls -l a; touch -t 202401020304.05 a; stat -c %y a`,
		out: "a\n-rw-rw-r-- 1 ec2-user ec2-user 0 Jan  1  1970 a\n2024-01-02 03:04:05.000000000 +0000\n"},
	{line: `touch /etc/x; echo $?; touch; echo $?; touch -d nonsense a`, out: "1\n1\n",
		errs: "touch: cannot touch '/etc/x': Permission denied\ntouch: missing file operand\nTry 'touch --help' for more information.\ntouch: invalid date format ‘nonsense’\n", status: 1},
	// mkdir, rmdir
	{line: `mkdir d; mkdir d; echo $?; mkdir -p d; echo $?; mkdir -p x/y/z; ls -R x`, out: "1\n0\nx:\ny\n\nx/y:\nz\n\nx/y/z:\n",
		errs: "mkdir: cannot create directory ‘d’: File exists\n"},
	{line: `mkdir -m 700 p; mkdir -pv q/r; ls -ld p`, out: "mkdir: created directory 'q'\nmkdir: created directory 'q/r'\ndrwx------ 2 ec2-user ec2-user 4096 Nov 30 13:19 p\n"},
	{line: `mkdir /etc/d; mkdir -p /etc/x/y; touch f; mkdir -p f/g; mkdir`,
		errs: "mkdir: cannot create directory ‘/etc/d’: Permission denied\nmkdir: cannot create directory ‘/etc/x’: Permission denied\n" +
			"mkdir: cannot create directory ‘f’: Not a directory\nmkdir: missing operand\nTry 'mkdir --help' for more information.\n", status: 1},
	{line: `mkdir d; touch d/f; rmdir d; rmdir nosuch; touch f; rmdir f; rm d/f; rmdir d; ls; mkdir -p x/y/z; rmdir -p x/y/z; ls`,
		errs: "rmdir: failed to remove 'd': Directory not empty\nrmdir: failed to remove 'nosuch': No such file or directory\nrmdir: failed to remove 'f': Not a directory\n", out: "f\nf\n"},
	// rm
	{line: `touch a; mkdir d; rm a; rm d; echo $?; rm -r d; ls; rm nosuch; echo $?; rm -f nosuch; echo $?`, out: "1\n1\n0\n",
		errs: "rm: cannot remove 'd': Is a directory\nrm: cannot remove 'nosuch': No such file or directory\n"},
	{line: `mkdir -p a/b; touch a/b/c; rm -rv a; mkdir e; rm -dv e`, out: "removed 'a/b/c'\nremoved directory 'a/b'\nremoved directory 'a'\nremoved directory 'e'\n"},
	{line: `rm -rf /`, errs: "rm: it is dangerous to operate recursively on '/'\nrm: use --no-preserve-root to override this failsafe\n", status: 1},
	{line: `rm -r .`, errs: "rm: refusing to remove '.' or '..' directory: skipping '.'\n", status: 1},
	{line: `rm; echo $?; rm -f; echo $?; rm /etc/hostname`, out: "1\n0\n",
		errs: "rm: missing operand\nTry 'rm --help' for more information.\nrm: cannot remove '/etc/hostname': Permission denied\n", status: 1},
	{line: `touch a b; rm -i a b; ls`, stdin: "y\nn\n", out: "b\n", errs: "rm: remove regular empty file 'a'? rm: remove regular empty file 'b'? "},
	// cp
	{line: `echo hi > a; cp a b; cat b; mkdir d; cp a d; ls d; cp a b d/; ls d`, out: "hi\na\na\nb\n"},
	{line: `mkdir -p d/sub; touch d/a d/sub/b; cp -r d e; ls -R e; cp -rv d g`,
		out: "e:\na\nsub\n\ne/sub:\nb\n'd' -> 'g'\n'd/a' -> 'g/a'\n'd/sub' -> 'g/sub'\n'd/sub/b' -> 'g/sub/b'\n"},
	{line: `touch -d @0 a; cp a b; cp -p a c; ls -l`, out: "total 0\n-rw-rw-r-- 1 ec2-user ec2-user 0 Jan  1  1970 a\n" +
		"-rw-rw-r-- 1 ec2-user ec2-user 0 Nov 30 13:19 b\n-rw-rw-r-- 1 ec2-user ec2-user 0 Jan  1  1970 c\n"},
	{line: `touch a; mkdir d; cp a; cp; cp nosuch x; cp d e; cp a a; cp a a c; cp -r d d/sub; cp a /etc/a`, status: 1,
		errs: "cp: missing destination file operand after 'a'\nTry 'cp --help' for more information.\ncp: missing file operand\nTry 'cp --help' for more information.\n" +
			"cp: cannot stat 'nosuch': No such file or directory\ncp: -r not specified; omitting directory 'd'\ncp: 'a' and 'a' are the same file\n" +
			"cp: target 'c' is not a directory\ncp: cannot copy a directory, 'd', into itself, 'd/sub'\ncp: cannot create regular file '/etc/a': Permission denied\n"},
	// mv
	{line: `echo hi > a; mv a b; ls; cat b; mkdir d; mv b d; ls d; mkdir e; mv e d; ls d; mv -v d/b c`, out: "b\nhi\nb\nb\ne\nrenamed 'd/b' -> 'c'\n"},
	{line: `touch k; mkdir m; mv nosuch x; mv k k; mv m m/x; mv k; mv m k; mv /etc/hostname .`, status: 1,
		errs: "mv: cannot stat 'nosuch': No such file or directory\nmv: 'k' and 'k' are the same file\n" +
			"mv: cannot move 'm' to a subdirectory of itself, 'm/x'\nmv: missing destination file operand after 'k'\nTry 'mv --help' for more information.\n" +
			"mv: cannot overwrite non-directory 'k' with directory 'm'\nmv: cannot move '/etc/hostname' to './hostname': Permission denied\n"},
	// stat
	{line: `echo hello | tee f > /dev/null; stat -c '%n %s %a %A %F %U %G %u %g %h' f; mkdir d; stat -c '%n %s %a %F' d; stat -c %N f; stat -c %y f`,
		out: "f 6 664 -rw-rw-r-- regular file ec2-user ec2-user 1000 1000 1\nd 4096 775 directory\n'f'\n2026-11-30 13:19:26.000000000 +0000\n"},
	{line: `stat nosuch; echo $?`, out: "1\n", errs: "stat: cannot stat 'nosuch': No such file or directory\n"},
}

func TestFiles(t *testing.T) { checkLines(t, fileCases) }

func TestStatDefaultFormat(t *testing.T) {
	out, errs, st := run(t, "echo hello | tee notes > /dev/null; stat notes")
	assert.Regexp(t, `^  File: notes
  Size: 6         	Blocks: 8          IO Block: 4096   regular file
Device: 10301h/66305d	Inode: \d+ +Links: 1
Access: \(0664/-rw-rw-r--\)  Uid: \( 1000/ec2-user\)   Gid: \( 1000/ec2-user\)
Access: 2026-11-30 13:19:26.000000000 \+0000
Modify: 2026-11-30 13:19:26.000000000 \+0000
Change: 2026-11-30 13:19:26.000000000 \+0000
 Birth: -
$`, out)
	assert.Empty(t, errs)
	assert.Equal(t, 0, st)
}
