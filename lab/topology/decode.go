package topology

import (
	"fmt"
	"math"
	"net/netip"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/vlab-sim/vlab/vnet/limits"
)

var (
	prefixType = reflect.TypeFor[netip.Prefix]()
	addrType   = reflect.TypeFor[netip.Addr]()
)

// decoder fills a Topology from a YAML tree field by field, so that one
// bad field is reported and the next still read: yaml's own decoder stops
// at the first unknown key.
type decoder struct {
	file     string
	problems Problems
	// nodes maps each field path given in the file to its value, to place
	// the problems found later, when the topology is checked as a whole.
	nodes map[string]*yaml.Node
	// budget bounds the nodes read through aliases: they can make a small
	// file expand exponentially (the "billion laughs"). A file without
	// aliases is read once, node by node, whatever its size.
	budget int
	// via is the outermost alias being read through, and viaPath its
	// field: where the problem is placed when the budget runs out.
	via     *yaml.Node
	viaPath string
}

// maxNodes is more than any real lab reads through aliases.
const maxNodes = 100_000

// Parse reads a topology from YAML. name is the file's name, used in the
// problems. The error, when not nil, is Problems: every problem in the
// file, one per line as name:LINE:COL: field.path: message; the topology
// is then incomplete.
func Parse(name string, data []byte) (*Topology, error) {
	d := &decoder{file: name, nodes: map[string]*yaml.Node{}, budget: maxNodes}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line := 1
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		msg := yamlLine.ReplaceAllString(err.Error(), "")
		return nil, Problems{{File: name, Line: line, Col: 1, Message: "not YAML: " + strings.TrimPrefix(msg, "yaml: ")}}
	}
	if len(doc.Content) == 0 {
		return nil, Problems{{File: name, Line: 1, Col: 1, Message: "the file is empty: want a topology (Vpcs, Internet, LoadBalancers, TargetGroups)"}}
	}
	t := &Topology{}
	d.decode(doc.Content[0], reflect.ValueOf(t).Elem(), "", reflect.StructField{})
	if d.budget < 0 {
		return nil, d.problems[len(d.problems)-1:]
	}
	reported := map[string]bool{}
	for _, p := range d.problems {
		reported[p.Path] = true
	}
	for _, is := range check(t) {
		if reported[is.path] {
			continue // a value given but refused is not also missing
		}
		line, col := d.locate(is.path)
		d.problems = append(d.problems, Problem{File: name, Line: line, Col: col, Path: is.path, Message: is.msg})
	}
	if len(d.problems) > 0 {
		d.problems.sort()
		return t, d.problems
	}
	return t, nil
}

var yamlLine = regexp.MustCompile(`line (\d+): `)

// Locate finds where path is given in the file; a field left out is placed
// at the nearest enclosing one that is there.
func (d *decoder) locate(path string) (line, col int) {
	for p := path; ; {
		if n, ok := d.nodes[p]; ok {
			return n.Line, n.Column
		}
		i := max(strings.LastIndexByte(p, '.'), strings.LastIndexByte(p, '['))
		if i < 0 {
			if n, ok := d.nodes[""]; ok {
				return n.Line, n.Column
			}
			return 1, 1
		}
		p = p[:i]
	}
}

func (d *decoder) problem(n *yaml.Node, path, format string, args ...any) {
	d.problems = append(d.problems, Problem{File: d.file, Line: n.Line, Col: n.Column, Path: path, Message: fmt.Sprintf(format, args...)})
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string, f reflect.StructField) {
	if d.budget < 0 {
		return // the file is not read further
	}
	if n.Kind == yaml.AliasNode {
		if d.via == nil {
			d.via, d.viaPath = n, path
			defer func() { d.via, d.viaPath = nil, "" }()
		}
		n = n.Alias
	}
	// Every value read through an alias counts; a file's own values are
	// read once each.
	if d.via != nil {
		if d.budget--; d.budget < 0 {
			d.problem(d.via, d.viaPath, "the file expands to more than %d values through its aliases (*%s; aliases of aliases?): not read", maxNodes, d.via.Value)
			return
		}
	}
	d.nodes[path] = n
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // an empty value is the field left out; check says if it may be
	}
	switch t := v.Type(); {
	case t == prefixType:
		s, ok := d.scalar(n, path)
		if !ok {
			return
		}
		p, err := netip.ParsePrefix(s)
		if err != nil || !p.Addr().Is4() {
			d.problem(n, path, "%q is not an IPv4 CIDR block (want a.b.c.d/n)%s", s, reason(err))
			return
		}
		v.Set(reflect.ValueOf(p))
	case t == addrType:
		s, ok := d.scalar(n, path)
		if !ok {
			return
		}
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is4() {
			d.problem(n, path, "%q is not an IPv4 address%s", s, reason(err))
			return
		}
		v.Set(reflect.ValueOf(a))
	case t.Kind() == reflect.Struct:
		d.decodeStruct(n, v, path)
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.problem(n, path, "want a list (- item), not %s", kindName(n))
			return
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, e := range n.Content {
			d.decode(e, s.Index(i), fmt.Sprintf("%s[%d]", path, i), f)
		}
		v.Set(s)
	case t.Kind() == reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.problem(n, path, "want a mapping (key: value), not %s", kindName(n))
			return
		}
		m := reflect.MakeMap(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			kp := join(path, k.Value)
			d.nodes[kp] = val
			if m.MapIndex(reflect.ValueOf(k.Value)).IsValid() {
				d.problem(k, kp, "given twice")
				continue
			}
			if s, ok := d.scalar(val, kp); ok {
				m.SetMapIndex(reflect.ValueOf(k.Value), reflect.ValueOf(s))
			}
		}
		v.Set(m)
	case t.Kind() == reflect.String:
		s, ok := d.scalar(n, path)
		if !ok {
			return
		}
		if d.inEnum(n, path, s, f) {
			v.SetString(s)
		}
	case t.Kind() == reflect.Uint64:
		s, ok := d.scalar(n, path)
		if !ok {
			return
		}
		u, err := strconv.ParseUint(s, 10, 64)
		if err != nil || n.Tag != "!!int" {
			d.problem(n, path, "%q is not a non-negative whole number (want 0 to %d)", s, uint64(math.MaxUint64))
			return
		}
		v.SetUint(u)
	case t.Kind() == reflect.Int:
		s, ok := d.scalar(n, path)
		if !ok {
			return
		}
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n.Tag != "!!int" {
			d.problem(n, path, "%q is not a whole number", s)
			return
		}
		if lo, hi, ok := bounds(f); ok && (i < lo || i > hi) {
			d.problem(n, path, "%d is out of range (%d-%d)", i, lo, hi)
			return
		}
		if !d.inEnum(n, path, s, f) {
			return
		}
		v.SetInt(i)
	case t.Kind() == reflect.Bool:
		s, ok := d.scalar(n, path)
		if !ok {
			return
		}
		if n.Tag != "!!bool" {
			d.problem(n, path, "%q is not true or false", s)
			return
		}
		b, _ := strconv.ParseBool(strings.ToLower(s))
		v.SetBool(b)
	default:
		panic("topology: no decoding for " + t.String())
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.problem(n, path, "want a mapping (key: value), not %s", kindName(n))
		return
	}
	t := v.Type()
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		f, ok := fieldByKey(t, k.Value)
		if !ok {
			msg := fmt.Sprintf("unknown key %q", k.Value)
			if s := suggest(t, k.Value); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			} else {
				msg += fmt.Sprintf(" (want one of %s)", strings.Join(keys(t), ", "))
			}
			d.problem(k, join(path, k.Value), "%s", msg)
			continue
		}
		fp := join(path, k.Value)
		if seen[k.Value] {
			d.problem(k, fp, "given twice")
			continue
		}
		seen[k.Value] = true
		d.decode(val, v.FieldByIndex(f.Index), fp, f)
	}
}

func (d *decoder) scalar(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.problem(n, path, "want a single value, not %s", kindName(n))
		return "", false
	}
	return n.Value, true
}

func (d *decoder) inEnum(n *yaml.Node, path, s string, f reflect.StructField) bool {
	e := f.Tag.Get("enum")
	if e == "" {
		return true
	}
	for _, ok := range strings.Split(e, ",") {
		if s == ok {
			return true
		}
	}
	d.problem(n, path, "%q is not one of %s", s, strings.ReplaceAll(e, ",", ", "))
	return false
}

func bounds(f reflect.StructField) (lo, hi int64, ok bool) {
	// AWS's bounds come from the one table of them.
	if name := f.Tag.Get("limit"); name != "" {
		l := limits.Get(name)
		return int64(l.Min), int64(l.Max), true
	}
	l, h := f.Tag.Get("min"), f.Tag.Get("max")
	if l == "" || h == "" {
		return 0, 0, false
	}
	lo, _ = strconv.ParseInt(l, 10, 64)
	hi, _ = strconv.ParseInt(h, 10, 64)
	return lo, hi, true
}

func fieldByKey(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.Tag.Get("yaml") == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func keys(t reflect.Type) []string {
	var ks []string
	for i := 0; i < t.NumField(); i++ {
		ks = append(ks, t.Field(i).Tag.Get("yaml"))
	}
	return ks
}

// suggest finds the key meant by a misspelt one: the same letters in
// another case, or one edit away.
func suggest(t reflect.Type, key string) string {
	for _, k := range keys(t) {
		if strings.EqualFold(k, key) || editDistance(strings.ToLower(k), strings.ToLower(key)) <= 2 {
			return k
		}
	}
	return ""
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	default:
		return fmt.Sprintf("%q", n.Value)
	}
}

// reason is the last part of a netip parse error ("prefix length out of
// range"), the part that says what is wrong, not what was parsed.
func reason(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, "): "); i >= 0 {
		msg = msg[i+3:]
	} else if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return ": " + msg
}

// Locate returns where the field at path is given in a YAML file, or the
// nearest enclosing field that is: to place an error found after Parse
// (a *PathError from building a lab).
func Locate(data []byte, path string) (line, col int) {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return 1, 1
	}
	d := &decoder{nodes: map[string]*yaml.Node{}, budget: maxNodes}
	d.decode(doc.Content[0], reflect.ValueOf(&Topology{}).Elem(), "", reflect.StructField{})
	return d.locate(path)
}
