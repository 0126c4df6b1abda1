package shell

import (
	"fmt"
	"strings"
)

// word is one shell word before expansion: a sequence of parts, each
// quoted or not. Single-quoted parts are never expanded.
type word []part

type part struct {
	text   string
	single bool // from '…': literal
	double bool // from "…": expanded, not split
}

// simple is one command: its words.
type simple struct{ words []word }

// pipeline is commands joined by |.
type pipeline struct{ cmds []simple }

// op joins pipelines in a list.
type op int

const (
	opSeq op = iota // ; or newline
	opAnd           // &&
	opOr            // ||
)

type listItem struct {
	pipe pipeline
	next op // how the following item runs
}

// SyntaxError is a line the shell cannot parse; its message reads like
// bash's.
type SyntaxError struct{ Msg string }

func (e *SyntaxError) Error() string { return "syntax error: " + e.Msg }

// parse turns a line into a list of pipelines.
func parse(line string) ([]listItem, error) {
	toks, err := lex(line)
	if err != nil {
		return nil, err
	}
	var (
		items []listItem
		cur   pipeline
		cmd   simple
	)
	flushCmd := func(t string) error {
		if len(cmd.words) == 0 {
			return &SyntaxError{fmt.Sprintf("near unexpected token `%s'", t)}
		}
		cur.cmds = append(cur.cmds, cmd)
		cmd = simple{}
		return nil
	}
	for i, t := range toks {
		if t.op == "" {
			cmd.words = append(cmd.words, t.w)
			continue
		}
		if t.op == ";" && len(cmd.words) == 0 && len(cur.cmds) == 0 {
			if i == 0 || len(items) == 0 {
				return nil, &SyntaxError{"near unexpected token `;'"}
			}
			continue
		}
		if err := flushCmd(t.op); err != nil {
			return nil, err
		}
		if t.op == "|" {
			continue
		}
		next := map[string]op{";": opSeq, "&&": opAnd, "||": opOr}[t.op]
		items = append(items, listItem{pipe: cur, next: next})
		cur = pipeline{}
	}
	if len(cmd.words) > 0 {
		cur.cmds = append(cur.cmds, cmd)
	} else if len(cur.cmds) > 0 || (len(items) > 0 && items[len(items)-1].next != opSeq) {
		return nil, &SyntaxError{"unexpected end of line"}
	}
	if len(cur.cmds) > 0 {
		items = append(items, listItem{pipe: cur})
	}
	return items, nil
}

type token struct {
	op string // "", ";", "&&", "||", "|"
	w  word
}

func lex(s string) ([]token, error) {
	var (
		toks   []token
		w      word
		inWord bool
		buf    strings.Builder
	)
	flushPart := func() {
		if buf.Len() > 0 {
			w = append(w, part{text: buf.String()})
			buf.Reset()
		}
	}
	flushWord := func() {
		flushPart()
		if inWord {
			toks = append(toks, token{w: w})
		}
		w, inWord = nil, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '#' && !inWord:
			i = len(s)
		case c == ' ' || c == '\t' || c == '\r':
			flushWord()
		case c == '\n' || c == ';':
			flushWord()
			toks = append(toks, token{op: ";"})
		case c == '&' || c == '|':
			flushWord()
			if i+1 < len(s) && s[i+1] == c {
				toks = append(toks, token{op: string([]byte{c, c})})
				i++
			} else if c == '|' {
				toks = append(toks, token{op: "|"})
			} else {
				return nil, &SyntaxError{"background jobs (&) are not supported"}
			}
		case c == '>' || c == '<':
			return nil, &SyntaxError{"redirections (>, <) are not supported by this instance's shell; use a pipe"}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, &SyntaxError{"unexpected EOF while looking for matching `''"}
			}
			flushPart()
			w = append(w, part{text: s[i+1 : i+1+j], single: true})
			inWord = true
			i += j + 1
		case c == '"':
			flushPart()
			var q strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) && strings.IndexByte("\"\\$`", s[j+1]) >= 0 {
					j++
				}
				q.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, &SyntaxError{"unexpected EOF while looking for matching `\"'"}
			}
			w = append(w, part{text: q.String(), double: true})
			inWord = true
			i = j
		case c == '\\':
			inWord = true
			if i+1 < len(s) {
				// An escaped character is literal, like a one-character
				// single-quoted part.
				flushPart()
				w = append(w, part{text: s[i+1 : i+2], single: true})
				i++
			}
		default:
			inWord = true
			buf.WriteByte(c)
		}
	}
	flushWord()
	return toks, nil
}
