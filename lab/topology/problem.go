package topology

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a topology: where, which field, what.
type Problem struct {
	// File, Line and Col locate the problem in a YAML file; they are empty
	// for a topology built in Go.
	File      string
	Line, Col int
	// Path is the field at fault: Vpcs[0].Subnets[1].CidrBlock.
	Path    string
	Message string
}

// String formats the problem as FILE:LINE:COL: field.path: message, the
// form compilers use, which editors turn into links.
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" || p.Line > 0 {
		fmt.Fprintf(&b, "%s:%d:%d: ", p.File, p.Line, p.Col)
	}
	if p.Path != "" {
		b.WriteString(p.Path + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every problem found, in file order; it is the error Parse and
// Validate return.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

func (ps Problems) sort() {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Line != ps[j].Line {
			return ps[i].Line < ps[j].Line
		}
		return ps[i].Col < ps[j].Col
	})
}

// PathError is an error about one field of a topology, for errors found
// while a lab is built from it.
type PathError struct {
	Path string
	Err  error
}

func (e *PathError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *PathError) Unwrap() error { return e.Err }
