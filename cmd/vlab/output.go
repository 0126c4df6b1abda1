package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"golang.org/x/term"
)

// outputFlag validates --output against the formats a command offers.
func outputFlag(v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return &usageError{fmt.Errorf("--output %q: want one of %v", v, allowed)}
}

func printJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "    ") // as the AWS CLI indents
	return enc.Encode(v)
}

// table writes aligned columns.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer) *table { return &table{tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)} }

func (t *table) row(cols ...any) {
	for i, c := range cols {
		if i > 0 {
			fmt.Fprint(t.tw, "\t")
		}
		fmt.Fprint(t.tw, c)
	}
	fmt.Fprintln(t.tw)
}

func (t *table) flush() { t.tw.Flush() }

// Colours, only on a terminal, and never with NO_COLOR set (no-color.org)
// or TERM=dumb. Every code is five bytes, so a column whose cells are all
// painted stays aligned by tabwriter, which counts bytes.
const (
	red    = "31"
	green  = "32"
	yellow = "33"
	bold   = "01"
)

var useColour = term.IsTerminal(int(os.Stdout.Fd())) && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"

// paint colours s when stdout is a terminal.
func paint(s, code string) string {
	if !useColour {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// stateColour is a target-health state's colour: green healthy, red
// unhealthy, yellow the states in between.
func stateColour(state string) string {
	switch state {
	case "healthy":
		return green
	case "unhealthy", "unhealthy.draining":
		return red
	}
	return yellow
}
