package flowlog

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	clientSSH = "2 123456789012 eni-0aaa 203.0.113.10 10.0.128.108 40000 22 6 20 4000 1732418400 1732418460 ACCEPT OK"
	replySSH  = "2 123456789012 eni-0aaa 10.0.128.108 203.0.113.10 22 40000 6 18 5000 1732418400 1732418460 ACCEPT OK"
	health    = "2 123456789012 eni-0aaa 10.0.10.25 10.0.128.108 33000 22 6 5 300 1732418400 1732418460 ACCEPT OK"
	rejected  = "2 123456789012 eni-0aaa 203.0.113.10 10.0.128.108 40001 22 6 1 60 1732418400 1732418400 REJECT OK"
	web       = "2 123456789012 eni-0bbb 198.51.100.7 10.0.2.50 50000 8081 6 30 20000 1732418400 1732418460 ACCEPT OK"
	nodata    = "2 123456789012 eni-0ccc - - - - - - - 1732418400 1732418460 - NODATA"
	access    = `127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 2326`
	forbidden = `127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 403 2326`
)

var events = []string{clientSSH, replySSH, health, rejected, web, nodata, access, forbidden}

func TestPatterns(t *testing.T) {
	cases := []struct {
		pattern string
		want    []string
	}{
		// The seed's pattern (ARCHITECTURE.md, O6): exactly the client's records.
		{`[version, account, eni, source="203.0.113.10", destination, srcport, destport="22", protocol="6", packets, bytes, windowstart, windowend, action, flowlogstatus]`, []string{clientSSH, rejected}},
		// AWS's "rejected SSH" example.
		{`[version, account, eni, source, destination, srcport, destport="22", protocol="6", packets, bytes, windowstart, windowend, action="REJECT", flowlogstatus]`, []string{rejected}},
		{`[..., action="REJECT", flowlogstatus]`, []string{rejected}},
		{`[version, account, eni, source=203.0.113.*, ...]`, []string{clientSSH, rejected}},
		{`[version, account, eni, source, destination="10.0.2.50", srcport, destport=8080 || destport=8081, ...]`, []string{web}},
		{`[version, account, eni, source, destination, srcport, destport, protocol, packets, bytes > 10000, ...]`, []string{web}},
		{`[version, account, eni, source, destination, srcport, destport, protocol=6, packets, bytes, start, end, action!=ACCEPT, status]`, []string{rejected}},
		{`[ip, user, username, timestamp, request, status_code = 4* && status_code != 403, bytes]`, []string{access}},
		{`[..., status="NODATA"]`, []string{nodata}},
		{`[v, a, eni, src, dst, sp, dp, proto, packets >= 18 && packets < 20, ...]`, []string{replySSH}},
		{`[v, a, eni, ..., action=ACCEPT, s]`, []string{clientSSH, replySSH, health, web}},
		{`[v, a, eni=eni-0b*, ...]`, []string{web}},
		// Plain terms.
		{`ACCEPT`, []string{clientSSH, replySSH, health, web}},
		{`"203.0.113.10"`, []string{clientSSH, replySSH, rejected}},
		{`ACCEPT -10.0.10.25`, []string{clientSSH, replySSH, web}},
		{`?REJECT ?NODATA`, []string{rejected, nodata}},
		{`%eni-0[ab]+%`, []string{clientSSH, replySSH, health, rejected, web}},
		{``, events},
		{`accept`, nil},
	}
	for _, c := range cases {
		p, err := ParsePattern(c.pattern)
		require.NoError(t, err, c.pattern)
		var got []string
		for _, e := range events {
			if p.Match(e) {
				got = append(got, e)
			}
		}
		assert.Equal(t, c.want, got, c.pattern)
	}
}

func TestPatternErrorsNameTheColumn(t *testing.T) {
	for _, c := range []struct {
		pattern string
		col     int
		msg     string
	}{
		{`[a, b=`, 7, "expected a value"},
		{`[a, b="x]`, 7, "unterminated quoted value"},
		{`[a b]`, 4, "expected =, !="},
		{`[a, bytes > x]`, 13, "needs a number"},
		{`[a, , b]`, 5, "expected a field name"},
		{`[a, b] c`, 8, "unexpected text after the closing ']'"},
		{`[a, b`, 6, "missing ']': the '[' at column 1 is not closed"},
		{`"open`, 1, "unterminated quoted term"},
		{`%[%`, 2, "bad regular expression"},
	} {
		_, err := ParsePattern(c.pattern)
		var pe *PatternError
		require.ErrorAs(t, err, &pe, c.pattern)
		assert.Equal(t, c.col, pe.Column, c.pattern)
		assert.Contains(t, pe.Msg, c.msg, c.pattern)
	}
}

// TestPatternRefusesWhatWouldMatchNothing: each of these used to parse
// into a pattern that silently matched nothing, or reported the wrong
// place; each is now an error at the column of the fault.
func TestPatternRefusesWhatWouldMatchNothing(t *testing.T) {
	for _, c := range []struct {
		pattern string
		col     int
		msg     string
	}{
		// An operator written the wrong way round compared with ">1".
		{`[a=>1]`, 3, `"=>" is not an operator (did you mean ">="?): want =, !=, <, <=, > or >= after field "a"`},
		{`[a=<1]`, 3, `"=<" is not an operator (did you mean "<="?)`},
		{`[a==1]`, 3, `"==" is not an operator (did you mean "="?)`},
		{`[a=>1]`, 3, `to compare with a value that starts with ">", quote it: a=">..."`},
		{`[a<>1]`, 3, `"<>" is not an operator (did you mean "!="?)`},
		{`[a!1]`, 3, `"!" is not an operator (did you mean "!="?)`},
		{`[a = >1]`, 6, `the value after "=" starts with ">": a condition has one operator`},
		// An unclosed '[' is placed where the ']' is missing.
		{`[`, 2, "missing ']': the '[' at column 1 is not closed"},
		{`[a=1`, 5, "missing ']': the '[' at column 1 is not closed"},
		{`  [a,`, 6, "missing ']': the '[' at column 3 is not closed"},
		// A stray bracket in a term pattern.
		{`]`, 1, "stray ']': no '[' opens a field list"},
		{`ACCEPT a]`, 9, "stray ']'"},
		{`ACCEPT [a]`, 8, "'[' inside the term \"[a]\": a bracketed pattern must start the filter"},
		{`[a]]`, 4, "unexpected text after the closing ']': \"]\""},
		// An empty field name, a missing value, a dangling && or ||.
		{`[=1]`, 2, `a field name is missing before "="`},
		{`[a, !=1]`, 5, `a field name is missing before "!="`},
		{`[a, ]`, 5, `expected a field name or '...', got "]"`},
		{`[a=]`, 4, `expected a value after "="`},
		{`[a=, b]`, 4, `expected a value after "="`},
		{`[a=1 && ]`, 6, `"&&" must be followed by another condition on field "a"`},
		{`[a=1 || a]`, 6, `"||" must be followed by another condition on field "a"`},
		{`[a=1 & a=2]`, 6, `"&" is not an operator: join conditions on field "a" with && or ||`},
	} {
		_, err := ParsePattern(c.pattern)
		var pe *PatternError
		if assert.ErrorAs(t, err, &pe, c.pattern) {
			assert.Equal(t, c.col, pe.Column, c.pattern)
			assert.Contains(t, pe.Msg, c.msg, c.pattern)
		}
	}
	// What a value that starts with an operator needs: quotes.
	p, err := ParsePattern(`[a=">1", b]`)
	require.NoError(t, err)
	assert.True(t, p.Match(">1 x"))
}

func FuzzPattern(f *testing.F) {
	for _, s := range []string{`[a, b="x", ...]`, `[..., c>1 && c<3 || c=9]`, `?a -b "c d"`, `%a+%`, `[`, `[a=*]`} {
		f.Add(s, clientSSH)
	}
	f.Fuzz(func(t *testing.T, pattern, event string) {
		p, err := ParsePattern(pattern)
		if err != nil {
			return
		}
		p.Match(event)
	})
}

// A field may be matched by a regular expression, as CloudWatch Logs
// allows (its "Supported regular expressions (regex) syntax"); characters
// it forbids are refused at their column.
func TestPatternFieldRegex(t *testing.T) {
	rec := "2 123456789012 eni-02e7916980b66a10d 203.0.113.10 10.0.128.108 25175 22 6 27 4496 1795490400 1795490400 ACCEPT OK"
	for _, c := range []struct {
		pattern string
		match   bool
	}{
		{`[version, account, eni, source=%203\.0\.113\..*%, ...]`, true},
		{`[version, account, eni, source=%^10\.%, ...]`, false},
		{`[version, account, eni, source!=%^10\.%, ...]`, true},
		{`[version, account, eni=%eni-0[0-9a-f]{16}%, source, destination, srcport, destport=%^2[0-9]$%, ...]`, true},
		{`[..., action=%ACC|REJ%, status]`, true},
	} {
		p, err := ParsePattern(c.pattern)
		require.NoError(t, err, c.pattern)
		assert.Equal(t, c.match, p.Match(rec), c.pattern)
	}
	for pattern, col := range map[string]string{
		`[a, b=%x!%]`:           "column 9: \"!\" is not allowed in a CloudWatch Logs regular expression",
		`[a, b=%(x)%]`:          "column 8: \"(\" is not allowed",
		`[a, b=%x y%]`:          "column 9: \" \" is not allowed",
		`[a, b>%x%]`:            "a regular expression compares with = or != only",
		`[a=%a%, b=%b%, c=%c%]`: "at most 2 regular expressions",
		`[a, b=%x]`:             "unterminated regular expression",
	} {
		_, err := ParsePattern(pattern)
		require.Error(t, err, pattern)
		assert.Contains(t, err.Error(), col, pattern)
	}
}
