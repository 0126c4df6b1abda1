package capture

import "strconv"

// wellKnown names ports as tcpdump does with -n (which keeps addresses
// numeric but still names services); -nn prints numbers.
var wellKnown = map[uint16]string{
	20: "ftp-data", 21: "ftp", 22: "ssh", 23: "telnet", 25: "smtp", 53: "domain", 67: "bootps",
	68: "bootpc", 80: "http", 110: "pop3", 123: "ntp", 143: "imap", 161: "snmp", 389: "ldap",
	443: "https", 465: "submissions", 514: "syslog", 587: "submission", 636: "ldaps", 993: "imaps",
	995: "pop3s", 1433: "ms-sql-s", 3306: "mysql", 3389: "ms-wbt-server", 5432: "postgresql",
	6379: "redis", 8080: "http-alt",
}

// portByName is the reverse table, for filters (port ssh).
var portByName = func() map[string]uint16 {
	m := map[string]uint16{}
	for p, n := range wellKnown {
		m[n] = p
	}
	m["www"] = 80
	return m
}()

func portName(p uint16, numeric bool) string {
	if !numeric {
		if n, ok := wellKnown[p]; ok {
			return n
		}
	}
	return strconv.Itoa(int(p))
}
