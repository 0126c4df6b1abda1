package awsapi

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// list returns the values of a query list: prefix.1, prefix.2, … (EC2's
// GroupId.1, ELB's Names.member.1).
func (c *call) list(prefix string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := c.params[prefix+"."+strconv.Itoa(i)]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

// structs returns a list of structures, prefix.N.Field, each as its fields
// (Field, or Sub.M.Field for the structures' own lists).
func (c *call) structs(prefix string) []url.Values {
	return structsOf(c.params, prefix)
}

func structsOf(params url.Values, prefix string) []url.Values {
	// One pass over the parameters, grouped by index: prefix.N.Field.
	p := prefix + "."
	byIndex := map[int]url.Values{}
	for k, v := range params {
		rest, ok := strings.CutPrefix(k, p)
		if !ok {
			continue
		}
		num, field, ok := strings.Cut(rest, ".")
		if !ok {
			continue
		}
		i, err := strconv.Atoi(num)
		if err != nil || i < 1 || strconv.Itoa(i) != num {
			continue
		}
		s := byIndex[i]
		if s == nil {
			s = url.Values{}
			byIndex[i] = s
		}
		s[field] = v
	}
	var out []url.Values
	for i := 1; byIndex[i] != nil; i++ {
		out = append(out, byIndex[i])
	}
	return out
}

func listOf(params url.Values, prefix string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := params[prefix+"."+strconv.Itoa(i)]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

// intParam reads an optional integer parameter.
func (c *call) intParam(name string) (int, bool, *apiError) {
	v := c.params.Get(name)
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, false, c.invalidValue(name, v)
	}
	return n, true, nil
}

// invalidValue is the service's error for a parameter of the wrong form.
func (c *call) invalidValue(name, v string) *apiError {
	if c.service == serviceELB {
		return badRequest("ValidationError", "Value '%s' at '%s' failed to satisfy constraint", v, name)
	}
	return badRequest("InvalidParameterValue", "Value (%s) for parameter %s is invalid.", v, name)
}

// filter is one of EC2's Filter.N parameters.
type filter struct {
	name   string
	values []string
}

// filters reads Filter.N.Name and Filter.N.Value.M, refusing names that
// are not among known (EC2 API Reference: InvalidParameterValue, "The
// filter 'x' is invalid").
func (c *call) filters(known ...string) ([]filter, *apiError) {
	var out []filter
	for _, s := range c.structs("Filter") {
		f := filter{name: s.Get("Name"), values: listOf(s, "Value")}
		ok := strings.HasPrefix(f.name, "tag:")
		for _, k := range known {
			ok = ok || k == f.name
		}
		if !ok {
			return nil, badRequest("InvalidParameterValue", "The filter '%s' is invalid", f.name)
		}
		out = append(out, f)
	}
	return out, nil
}

// match reports whether a resource with these filter values passes every
// filter: each filter needs one of its values (with * and ? wildcards) to
// match one of the resource's.
func match(fs []filter, have map[string][]string) bool {
	for _, f := range fs {
		ok := false
		for _, want := range f.values {
			for _, v := range have[f.name] {
				ok = ok || glob(want, v)
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// glob matches s against a filter value's * (any run) and ? (any one); a
// backslash escapes the next character. Iterative, with one backtrack
// point (the last *): O(len(pattern)·len(s)).
func glob(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0 // the last * seen in pattern, and where in s it resumes
	for i < len(s) {
		if p < len(pattern) {
			switch c := pattern[p]; {
			case c == '*':
				star, mark = p, i
				p++
				continue
			case c == '?':
				p++
				i++
				continue
			default:
				lit, n := c, 1
				if c == '\\' && p+1 < len(pattern) {
					lit, n = pattern[p+1], 2
				}
				if s[i] == lit {
					p += n
					i++
					continue
				}
			}
		}
		if star < 0 {
			return false
		}
		mark++
		p, i = star+1, mark
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// tagValues adds a resource's Name tag to its filter values.
func tagValues(name string, have map[string][]string) map[string][]string {
	if name != "" {
		have["tag:Name"] = []string{name}
		have["tag-key"] = []string{"Name"}
		have["tag-value"] = []string{name}
	}
	return have
}

// page returns the bounds of one page of n items: the start token names
// the first (opaque to clients), size caps the count (0: all), and next is
// the token of the following page, "" on the last.
func page(n, size int, token string) (start, end int, next string, err error) {
	if token != "" {
		b, derr := base64.RawURLEncoding.DecodeString(token)
		if derr != nil {
			return 0, 0, "", fmt.Errorf("invalid token")
		}
		i, aerr := strconv.Atoi(strings.TrimPrefix(string(b), "vlab:"))
		if aerr != nil || !strings.HasPrefix(string(b), "vlab:") || i < 0 || i > n {
			return 0, 0, "", fmt.Errorf("invalid token")
		}
		start = i
	}
	end = n
	if size > 0 && start+size < n {
		end = start + size
		next = base64.RawURLEncoding.EncodeToString([]byte("vlab:" + strconv.Itoa(end)))
	}
	return start, end, next, nil
}

// ec2Page pages an EC2 describe: MaxResults (lo-hi) and NextToken (EC2
// API Reference, "Pagination").
func (c *call) ec2Page(n, lo, hi int) (int, int, string, *apiError) {
	size, ok, aerr := c.intParam("MaxResults")
	if aerr != nil {
		return 0, 0, "", aerr
	}
	if ok && (size < lo || size > hi) {
		return 0, 0, "", badRequest("InvalidParameterValue", "Value ( %d ) for parameter maxResults is invalid. Expecting a value between %d and %d.", size, lo, hi)
	}
	start, end, next, err := page(n, size, c.params.Get("NextToken"))
	if err != nil {
		return 0, 0, "", badRequest("InvalidParameterValue", "The token '%s' is invalid.", c.params.Get("NextToken"))
	}
	return start, end, next, nil
}

// elbPage pages an ELB describe: PageSize (1-400) and Marker (ELB API
// Reference, "DescribeLoadBalancers").
func (c *call) elbPage(n int) (int, int, string, *apiError) {
	size, ok, aerr := c.intParam("PageSize")
	if aerr != nil {
		return 0, 0, "", aerr
	}
	if ok && (size < 1 || size > 400) {
		return 0, 0, "", badRequest("ValidationError", "1 validation error detected: Value '%d' at 'pageSize' failed to satisfy constraint: Member must have value between 1 and 400", size)
	}
	start, end, next, err := page(n, size, c.params.Get("Marker"))
	if err != nil {
		return 0, 0, "", badRequest("ValidationError", "Invalid marker '%s'", c.params.Get("Marker"))
	}
	return start, end, next, nil
}

func sortedStrings(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
