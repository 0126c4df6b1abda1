package target

import (
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
)

// Image is what an instance runs: the parts of an Amazon Linux AMI that
// show through the experiment (os-release, OpenSSH's version, tcpdump's
// behaviour, the login banner, the kernel). Everything else is shared.
type Image struct {
	// ID is the name topology files and --image use: al2, al2023.
	ID string
	// PrettyName is os-release's PRETTY_NAME.
	PrettyName string
	// OSRelease is /etc/os-release.
	OSRelease string
	// SystemRelease is /etc/system-release.
	SystemRelease string
	// OpenSSH is the server's version (its banner, ssh -V).
	OpenSSH string
	// OpenSSL follows OpenSSH's version in ssh -V.
	OpenSSL string
	// Kernel is uname -r.
	Kernel string
	// TcpdumpLegacy: tcpdump 4.9 (Amazon Linux 2) names well-known ports
	// even with -n and announces "capture size"; 4.99 (Amazon Linux 2023)
	// prints numbers with -n and "snapshot length".
	TcpdumpLegacy bool
	// Banner is what a login prints after the last-login line.
	Banner string
	// Rsyslog: the image writes sshd's lines to /var/log/secure (Amazon
	// Linux 2); Amazon Linux 2023 keeps them in the journal only.
	Rsyslog bool
	// IMDSv2Only: the AMI requires IMDSv2 tokens (Amazon Linux 2023).
	IMDSv2Only bool
	// JournalSpan: journalctl (systemd 219, Amazon Linux 2) opens with
	// "-- Logs begin at …, end at … --"; systemd 252 does not.
	JournalSpan bool
	// OpenSSH74Logs: sshd 7.4's wording of disconnects and refusals
	// ("Connection closed by ADDR port P [preauth]"); 8.7 names the user.
	OpenSSH74Logs bool
	// AMI is the image's id in the lab (instance metadata's ami-id).
	AMI string
}

// The images. Their texts are those of a fresh instance of each AMI.
var (
	// AL2 is Amazon Linux 2, the seed's image.
	AL2 = Image{
		ID:         "al2",
		PrettyName: "Amazon Linux 2",
		OSRelease: `NAME="Amazon Linux"
VERSION="2"
ID="amzn"
ID_LIKE="centos rhel fedora"
VERSION_ID="2"
PRETTY_NAME="Amazon Linux 2"
ANSI_COLOR="0;33"
CPE_NAME="cpe:2.3:o:amazon:amazon_linux:2"
HOME_URL="https://amazonlinux.com/"
SUPPORT_END="2026-06-30"
`,
		SystemRelease: "Amazon Linux release 2 (Karoo)\n",
		OpenSSH:       "OpenSSH_7.4p1",
		OpenSSL:       "OpenSSL 1.0.2k-fips  26 Jan 2017",
		Kernel:        "5.10.228-219.884.amzn2.x86_64",
		TcpdumpLegacy: true,
		Banner: `
       __|  __|_  )
       _|  (     /   Amazon Linux 2 AMI
      ___|\___|___|

https://aws.amazon.com/amazon-linux-2/
`,
		Rsyslog:       true,
		AMI:           "ami-0d52744d6551d851e",
		JournalSpan:   true,
		OpenSSH74Logs: true,
	}
	// AL2023 is Amazon Linux 2023, what AWS launches today.
	AL2023 = Image{
		ID:         "al2023",
		PrettyName: "Amazon Linux 2023.6.20241121",
		OSRelease: `NAME="Amazon Linux"
VERSION="2023"
ID="amzn"
ID_LIKE="fedora"
VERSION_ID="2023"
PLATFORM_ID="platform:al2023"
PRETTY_NAME="Amazon Linux 2023.6.20241121"
ANSI_COLOR="0;33"
CPE_NAME="cpe:2.3:o:amazon:amazon_linux:2023"
HOME_URL="https://aws.amazon.com/linux/amazon-linux-2023/"
DOCUMENTATION_URL="https://docs.aws.amazon.com/linux/"
SUPPORT_URL="https://aws.amazon.com/premiumsupport/"
BUG_REPORT_URL="https://github.com/amazonlinux/amazon-linux-2023"
VENDOR_NAME="AWS"
VENDOR_URL="https://aws.amazon.com/"
SUPPORT_END="2029-06-30"
`,
		SystemRelease: "Amazon Linux release 2023.6.20241121 (Amazon Linux)\n",
		OpenSSH:       "OpenSSH_8.7p1",
		OpenSSL:       "OpenSSL 3.0.8 7 Feb 2023",
		Kernel:        "6.1.119-129.201.amzn2023.x86_64",
		Banner: `   ,     #_
   ~\_  ####_        Amazon Linux 2023
  ~~  \_#####\
  ~~     \###|
  ~~       \#/ ___   https://aws.amazon.com/linux/amazon-linux-2023
   ~~       V~' '->
    ~~~         /
      ~~._.   _/
         _/ _/
       _/m/'
`,
		IMDSv2Only: true,
		AMI:        "ami-0ab02459752898a60",
	}
)

// Images are the images by ID.
var Images = map[string]Image{AL2.ID: AL2, AL2023.ID: AL2023}

// DefaultImage is what an instance that names no image runs.
const DefaultImage = "al2023"

// ImageByID returns the image id names, with an error that lists the
// known ones.
func ImageByID(id string) (Image, error) {
	if id == "" {
		id = DefaultImage
	}
	if im, ok := Images[id]; ok {
		return im, nil
	}
	var ids []string
	for k := range Images {
		ids = append(ids, k)
	}
	sort.Strings(ids)
	return Image{}, fmt.Errorf("image %q is not one vlab knows (%s)", id, strings.Join(ids, ", "))
}

// ServerVersion is the SSH banner's software version, as the image's sshd
// sends it.
func (im Image) ServerVersion() string { return "SSH-2.0-" + strings.TrimSuffix(im.OpenSSH, "p1") }

// greet prints what a login shows before the first prompt: the last login
// and the image's banner (sshd's PrintLastLog and the motd).
func (in *Instance) greet(w io.Writer, remote net.Addr) {
	from, _ := splitAddr(remote)
	io.WriteString(w, in.procs.login(in.now(), from)+in.image.Banner)
}
